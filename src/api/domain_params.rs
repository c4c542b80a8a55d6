//! Domain calls whose arguments come from another call: the scheduler's parameters (their
//! count comes with the scheduler's type) and the vCPUs (the map size comes from the host's CPU
//! count).

use crate::api::info::cpu_map;
use crate::api::{Domain, TypedParams};
use crate::error::Result;
use crate::proto::c_constants::VcpuState;
use crate::proto::{c_flags, remote};

/// A virtual CPU (`virVcpuInfo`) and the host CPUs it may run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VcpuInfo {
    /// The vCPU's number.
    pub number: u32,
    /// Offline, running or blocked.
    pub state: VcpuState,
    /// CPU time used, in nanoseconds.
    pub cpu_time_ns: u64,
    /// The host CPU it runs on now (-1 when offline).
    pub cpu: i32,
    /// One entry per host CPU: whether the vCPU may run there.
    pub affinity: Vec<bool>,
}

impl Domain {
    /// The scheduler's name (`posix`, `fair`, …), as `virDomainGetSchedulerType` gives it.
    pub async fn scheduler_type(&self) -> Result<String> {
        Ok(self.scheduler_type_and_count().await?.0)
    }

    async fn scheduler_type_and_count(&self) -> Result<(String, i32)> {
        let args = remote::DomainGetSchedulerTypeArgs {
            dom: self.to_remote(),
        };
        let ret = self.client().raw().domain_get_scheduler_type(&args).await?;
        Ok((ret.r#type.into_inner(), ret.nparams))
    }

    /// The scheduler's parameters of the running domain (`cpu_shares`, `vcpu_period`, …;
    /// names in [`crate::proto::c_params`]).
    pub async fn scheduler_parameters(&self) -> Result<TypedParams> {
        let (_, nparams) = self.scheduler_type_and_count().await?;
        let args = remote::DomainGetSchedulerParametersArgs {
            dom: self.to_remote(),
            nparams,
        };
        let ret = self
            .client()
            .raw()
            .domain_get_scheduler_parameters(&args)
            .await?;
        Ok(TypedParams::from_wire(ret.params))
    }

    /// The scheduler's parameters of the live or persistent definition (`flags`), string
    /// parameters included when the driver has them (`VIR_TYPED_PARAM_STRING_OKAY`, as
    /// libvirt's client adds it).
    pub async fn scheduler_parameters_flags(
        &self,
        flags: c_flags::DomainModificationImpact,
    ) -> Result<TypedParams> {
        let (_, nparams) = self.scheduler_type_and_count().await?;
        let okay = self.client().typed_param_string_flag().await?;
        let args = remote::DomainGetSchedulerParametersFlagsArgs {
            dom: self.to_remote(),
            nparams,
            flags: c_flags::DomainModificationImpact::from_bits_retain(flags.bits() | okay),
        };
        let ret = self
            .client()
            .raw()
            .domain_get_scheduler_parameters_flags(&args)
            .await?;
        Ok(TypedParams::from_wire(ret.params))
    }

    /// Every vCPU of the running domain with its state, CPU time, host CPU and affinity
    /// (`virDomainGetVcpus`, sized from [`info`](Self::info) and the host's CPU count).
    pub async fn vcpus(&self) -> Result<Vec<VcpuInfo>> {
        let info = self.info().await?;
        let node = self.client().node_info().await?;
        let host_cpus = node
            .nodes
            .saturating_mul(node.sockets)
            .saturating_mul(node.cores)
            .saturating_mul(node.threads)
            .max(node.cpus)
            .max(1);
        let maplen = host_cpus.div_ceil(8);
        let args = remote::DomainGetVcpusArgs {
            dom: self.to_remote(),
            maxinfo: i32::from(info.nr_virt_cpu),
            maplen: i32::try_from(maplen).unwrap_or(i32::MAX),
        };
        let ret = self.client().raw().domain_get_vcpus(&args).await?;
        let maplen = maplen as usize;
        Ok(ret
            .info
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let map = ret
                    .cpumaps
                    .get(i * maplen..(i + 1) * maplen)
                    .unwrap_or_default();
                VcpuInfo {
                    number: v.number,
                    state: VcpuState::from_i32(v.state),
                    cpu_time_ns: v.cpu_time,
                    cpu: v.cpu,
                    affinity: cpu_map(map, host_cpus as usize),
                }
            })
            .collect())
    }
}
