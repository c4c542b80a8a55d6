//! Domains of their own for tests where many tasks share a connection: each answer the daemon
//! gives about one is checked against what its task defined, so a reply routed to the wrong
//! caller fails the test.

/// What task `t`'s own domain is: no two tasks share a name, uuid, memory size or vCPU count
/// (the test driver allows up to 4096 vCPUs).
pub struct Own {
    pub name: String,
    pub uuid: [u8; 16],
    pub memory_kib: u64,
    pub vcpus: u16,
}

impl Own {
    /// Task `t`'s domain, named `{prefix}{t}` (`t` below 4096).
    pub fn of(prefix: &str, t: u32) -> Own {
        assert!(t < 4096, "the test driver allows at most 4096 vCPUs");
        let mut uuid = *b"\x6a\x1f\x0c\x2e\x7d\x3b\x4c\x59\x9e\x84\x0b\x2f\x5d\x7a\x00\x00";
        uuid[14..].copy_from_slice(&(t as u16).to_be_bytes());
        Own {
            name: format!("{prefix}{t}"),
            uuid,
            memory_kib: 65536 + 1024 * u64::from(t),
            vcpus: t as u16 + 1,
        }
    }

    /// Its domain XML for the test driver.
    pub fn xml(&self) -> String {
        let u = self.uuid.map(|b| format!("{b:02x}")).concat();
        format!(
            "<domain type='test'><name>{}</name><uuid>{}-{}-{}-{}-{}</uuid>\
             <memory>{}</memory><currentMemory>{}</currentMemory><vcpu>{}</vcpu>\
             <os><type>hvm</type></os></domain>",
            self.name,
            &u[..8],
            &u[8..12],
            &u[12..16],
            &u[16..20],
            &u[20..],
            self.memory_kib,
            self.memory_kib,
            self.vcpus
        )
    }

    /// Defines it on `client`, checking the handle the daemon returns.
    pub async fn define(&self, client: &virtwire::Client) {
        let dom = client.define_domain_xml(&self.xml()).await.unwrap();
        assert_eq!((dom.name(), dom.uuid()), (self.name.as_str(), self.uuid));
    }

    /// Three calls about it (lookup by name, by uuid, its info), each answer checked; `what`
    /// names the caller in a failure.
    pub async fn check(&self, client: &virtwire::Client, what: &str) {
        let by_name = client.lookup_domain_by_name(&self.name).await.unwrap();
        assert_eq!(by_name.uuid(), self.uuid, "{what}: uuid");
        let by_uuid = client.lookup_domain_by_uuid(self.uuid).await.unwrap();
        assert_eq!(by_uuid.name(), self.name, "{what}: name");
        let info = by_uuid.info().await.unwrap();
        assert_eq!(
            (info.max_mem_kib, info.nr_virt_cpu),
            (self.memory_kib, self.vcpus),
            "{what}: info"
        );
    }
}
