//! The typed pinning, file system and disk error calls against the real libvirtd (test
//! driver): what they return agrees with `virsh` on the same daemon, and the CPU maps are
//! decoded to one entry per host CPU.

mod common;

use std::process::Command;

use common::Sandbox;
use virtwire::Client;
use virtwire::flags::DomainModificationImpact;
use virtwire::proto::c_constants::DomainDiskErrorCode;

/// `virsh -c URI ARGS…`'s standard output; fails the test when virsh fails.
fn virsh(uri: &str, args: &[&str]) -> String {
    let out = Command::new("virsh")
        .arg("-c")
        .arg(uri)
        .args(args)
        .output()
        .expect("virsh runs");
    assert!(
        out.status.success(),
        "virsh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The rows of a virsh table (the lines after its `---` rule), split on white space.
fn rows(table: &str) -> Vec<Vec<String>> {
    table
        .lines()
        .skip_while(|l| !l.starts_with("---"))
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .collect()
}

/// A CPU map as virsh prints it: `0-3,6`.
fn ranges(map: &[bool]) -> String {
    let mut parts = Vec::new();
    let mut cpu = 0;
    while cpu < map.len() {
        if !map[cpu] {
            cpu += 1;
            continue;
        }
        let start = cpu;
        while cpu + 1 < map.len() && map[cpu + 1] {
            cpu += 1;
        }
        parts.push(if start == cpu {
            start.to_string()
        } else {
            format!("{start}-{cpu}")
        });
        cpu += 1;
    }
    parts.join(",")
}

#[tokio::test]
async fn pinning_file_systems_and_disk_errors_of_the_test_domain_agree_with_virsh() {
    let uri = Sandbox::get().default_test_uri();
    let client = Client::connect(&uri).await.unwrap();
    let dom = client.lookup_domain_by_name("test").await.unwrap();
    let host_cpus = client
        .node_cpu_map(0, 0, Default::default())
        .await
        .unwrap()
        .cpus as usize;

    let pins = dom
        .vcpu_pin_info(DomainModificationImpact::CURRENT)
        .await
        .unwrap();
    let virsh_pins = rows(&virsh(&uri, &["vcpupin", "test"]));
    assert_eq!(pins.len(), virsh_pins.len(), "{pins:?}");
    for (pin, row) in pins.iter().zip(&virsh_pins) {
        assert_eq!(pin.affinity.len(), host_cpus, "one entry per host CPU");
        assert_eq!([pin.vcpu.to_string(), ranges(&pin.affinity)], row[..]);
    }

    let emulator = dom
        .emulator_pin_info(DomainModificationImpact::CURRENT)
        .await
        .unwrap()
        .expect("the test driver reports the emulator's pinning");
    assert_eq!(emulator.len(), host_cpus);
    let virsh_emulator = rows(&virsh(&uri, &["emulatorpin", "test"]));
    assert_eq!(virsh_emulator, [["*:".to_owned(), ranges(&emulator)]]);

    let fs = dom.fsinfo(Default::default()).await.unwrap();
    let virsh_fs = rows(&virsh(&uri, &["domfsinfo", "test"]));
    assert!(!fs.is_empty());
    let ours: Vec<Vec<String>> = fs
        .iter()
        .map(|f| {
            vec![
                f.mountpoint.clone(),
                f.name.clone(),
                f.fstype.clone(),
                f.dev_aliases.join(","),
            ]
        })
        .collect();
    assert_eq!(ours, virsh_fs);

    let errors = dom.disk_errors(Default::default()).await.unwrap();
    let virsh_errors = virsh(&uri, &["domblkerror", "test"]);
    assert_eq!(
        errors.len(),
        virsh_errors.lines().filter(|l| !l.is_empty()).count()
    );
    for e in &errors {
        let text = match e.error {
            DomainDiskErrorCode::Unspec => "unspecified error",
            DomainDiskErrorCode::NoSpace => "no space",
            other => panic!("{other:?}"),
        };
        assert!(
            virsh_errors.contains(&format!("{}: {text}", e.disk)),
            "{e:?} not in {virsh_errors}"
        );
    }
}

#[tokio::test]
async fn pinning_and_io_threads_of_a_defined_domain_are_decoded_per_host_cpu() {
    let client = Client::connect(&Sandbox::get().test_uri("domain-info"))
        .await
        .unwrap();
    let xml = "<domain type='test'><name>pinned</name><memory unit='MiB'>64</memory>\
               <vcpu cpuset='0-5'>3</vcpu><iothreads>2</iothreads>\
               <cputune><vcpupin vcpu='1' cpuset='4'/><emulatorpin cpuset='1,3'/>\
               <iothreadpin iothread='2' cpuset='2-3'/></cputune>\
               <os><type arch='x86_64'>hvm</type></os></domain>";
    let dom = client.define_domain_xml(xml).await.unwrap();
    let host_cpus = client
        .node_cpu_map(0, 0, Default::default())
        .await
        .unwrap()
        .cpus as usize;
    let config = DomainModificationImpact::CONFIG;

    let pins = dom.vcpu_pin_info(config).await.unwrap();
    let pins: Vec<(u32, String)> = pins
        .iter()
        .map(|p| {
            assert_eq!(p.affinity.len(), host_cpus);
            (p.vcpu, ranges(&p.affinity))
        })
        .collect();
    assert_eq!(
        pins,
        [(0, "0-5".into()), (1, "4".into()), (2, "0-5".into())]
    );

    let emulator = dom.emulator_pin_info(config).await.unwrap().unwrap();
    assert_eq!(ranges(&emulator), "1,3");

    let threads = dom.iothread_info(config).await.unwrap();
    let threads: Vec<(u32, String)> = threads
        .iter()
        .map(|t| {
            assert_eq!(t.affinity.len(), host_cpus);
            (t.iothread_id, ranges(&t.affinity))
        })
        .collect();
    // a thread without its own pinning may run where the vCPUs may
    assert_eq!(threads[1], (2, "2-3".into()), "{threads:?}");
    assert_eq!(threads.len(), 2);
    assert_eq!(threads[0].0, 1);

    dom.undefine().await.unwrap();
}
