//! Domain calls whose arguments come from another call: the scheduler's parameters (their
//! count comes with the scheduler's type), the vCPUs, vCPU/emulator/I/O thread pinning (the
//! CPU maps' size comes from the host's CPU count) and the disk errors (their count first).

use crate::api::info::cpu_map;
use crate::api::{Domain, DomainDiskError, IothreadInfo, TypedParams, VcpuPinInfo};
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
    /// (`virDomainGetVcpus`, sized from [`info`](Self::info) and the host's CPU count as virsh
    /// counts it).
    pub async fn vcpus(&self) -> Result<Vec<VcpuInfo>> {
        let info = self.info().await?;
        let host_cpus = self.host_cpus().await?;
        let maplen = host_cpus.div_ceil(8);
        let args = remote::DomainGetVcpusArgs {
            dom: self.to_remote(),
            maxinfo: i32::from(info.nr_virt_cpu),
            maplen: wire_len(maplen),
        };
        let ret = self.client().raw().domain_get_vcpus(&args).await?;
        Ok(ret
            .info
            .iter()
            .enumerate()
            .map(|(i, v)| VcpuInfo {
                number: v.number,
                state: VcpuState::from_i32(v.state),
                cpu_time_ns: v.cpu_time,
                cpu: v.cpu,
                affinity: nth_map(&ret.cpumaps, i, maplen, host_cpus),
            })
            .collect())
    }

    /// The host CPUs each vCPU may run on, in the live or persistent definition (`flags`), one
    /// entry per vCPU up to the maximum (`virDomainGetVcpuPinInfo`, sized as virsh sizes it: the
    /// maximum vCPU count and the host's CPU count). Also answers for an inactive domain.
    pub async fn vcpu_pin_info(
        &self,
        flags: c_flags::DomainModificationImpact,
    ) -> Result<Vec<VcpuPinInfo>> {
        let vcpu_flags = c_flags::DomainVcpuFlags::from_bits_retain(flags.bits())
            | c_flags::DomainVcpuFlags::MAXIMUM;
        let ncpumaps = self.vcpus_flags(vcpu_flags).await?;
        let host_cpus = self.host_cpus().await?;
        let maplen = host_cpus.div_ceil(8);
        // the reply holds ncpumaps * maplen bytes: never ask past what it may carry
        let fit = remote::CPUMAPS_MAX as usize / maplen.max(1);
        let ncpumaps = usize::try_from(ncpumaps).unwrap_or(0).min(fit);
        let args = remote::DomainGetVcpuPinInfoArgs {
            dom: self.to_remote(),
            ncpumaps: wire_len(ncpumaps),
            maplen: wire_len(maplen),
            flags,
        };
        let ret = self.client().raw().domain_get_vcpu_pin_info(&args).await?;
        let num = usize::try_from(ret.num).unwrap_or(0).min(ncpumaps);
        Ok((0..num)
            .map(|i| VcpuPinInfo {
                vcpu: u32::try_from(i).unwrap_or(u32::MAX),
                affinity: nth_map(&ret.cpumaps, i, maplen, host_cpus),
            })
            .collect())
    }

    /// The host CPUs the emulator's threads may run on (`virDomainGetEmulatorPinInfo`): one
    /// entry per host CPU, or `None` when the driver reports no pinning.
    pub async fn emulator_pin_info(
        &self,
        flags: c_flags::DomainModificationImpact,
    ) -> Result<Option<Vec<bool>>> {
        let host_cpus = self.host_cpus().await?;
        let maplen = host_cpus.div_ceil(8);
        let args = remote::DomainGetEmulatorPinInfoArgs {
            dom: self.to_remote(),
            maplen: wire_len(maplen),
            flags,
        };
        let ret = self
            .client()
            .raw()
            .domain_get_emulator_pin_info(&args)
            .await?;
        Ok((ret.ret > 0).then(|| cpu_map(&ret.cpumaps, host_cpus)))
    }

    /// The domain's I/O threads with the host CPUs each may run on
    /// (`virDomainGetIOThreadInfo`), in the live or persistent definition (`flags`).
    pub async fn iothread_info(
        &self,
        flags: c_flags::DomainModificationImpact,
    ) -> Result<Vec<IothreadInfo>> {
        let host_cpus = self.host_cpus().await?;
        let args = remote::DomainGetIothreadInfoArgs {
            dom: self.to_remote(),
            flags,
        };
        let ret = self.client().raw().domain_get_iothread_info(&args).await?;
        Ok(ret
            .info
            .iter()
            .map(|t| IothreadInfo {
                iothread_id: t.iothread_id,
                affinity: cpu_map(&t.cpumap, host_cpus),
            })
            .collect())
    }

    /// The disks that met an I/O error, each with the error (`virDomainGetDiskErrors`: asks
    /// the count, then the errors, as virsh does). Empty when every disk is fine.
    pub async fn disk_errors(&self, flags: c_flags::NoFlags) -> Result<Vec<DomainDiskError>> {
        let ask = |maxerrors: u32| remote::DomainGetDiskErrorsArgs {
            dom: self.to_remote(),
            maxerrors,
            flags,
        };
        let raw = self.client().raw();
        let count = raw.domain_get_disk_errors(&ask(0)).await?.nerrors;
        let count = u32::try_from(count)
            .unwrap_or(0)
            .min(remote::DOMAIN_DISK_ERRORS_MAX);
        if count == 0 {
            return Ok(Vec::new());
        }
        let ret = raw.domain_get_disk_errors(&ask(count)).await?;
        Ok(ret.errors.into_iter().map(DomainDiskError::from).collect())
    }

    /// How many CPUs the host has, for sizing CPU maps, as virsh counts them: the node's CPU
    /// map, or (a driver without one) the node's topology and CPU count; at least one.
    async fn host_cpus(&self) -> Result<usize> {
        let client = self.client();
        let cpus = match client.node_cpu_map(0, 0, Default::default()).await {
            Ok(map) => map.cpus,
            Err(e) if e.remote().is_some() => {
                let node = client.node_info().await?;
                node.nodes
                    .saturating_mul(node.sockets)
                    .saturating_mul(node.cores)
                    .saturating_mul(node.threads)
                    .max(node.cpus)
            }
            Err(e) => return Err(e),
        };
        Ok(usize::try_from(cpus.max(1)).unwrap_or(usize::MAX))
    }
}

/// A length as the wire's `int` (saturating: the daemon refuses what is too large).
fn wire_len(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The `i`th of the CPU maps of `maplen` bytes packed one after the other, as `cpus` entries
/// (an empty map when the reply is short).
fn nth_map(maps: &[u8], i: usize, maplen: usize, cpus: usize) -> Vec<bool> {
    let map = i
        .checked_mul(maplen)
        .and_then(|start| maps.get(start..start.checked_add(maplen)?))
        .unwrap_or_default();
    cpu_map(map, cpus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nth_map_is_taken_from_the_packed_maps() {
        let maps = [0b01, 0, 0b10, 0];
        assert_eq!(nth_map(&maps, 1, 2, 3), [false, true, false]);
        assert!(nth_map(&maps, 2, 2, 3).is_empty(), "past the reply");
        assert!(nth_map(&maps, usize::MAX, 2, 3).is_empty(), "no overflow");
    }
}
