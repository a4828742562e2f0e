//! The create request built from plan specs.

use std::collections::BTreeMap;

use super::*;
use crate::plan::{Endpoint, Healthcheck, Mount as PlanMount, PortBinding as PlanPort};

fn spec() -> ContainerSpec {
    ContainerSpec {
        name: "p-db-1".into(),
        service: "db".into(),
        image: "postgres:15".into(),
        platform: None,
        command: Some(vec!["postgres".into()]),
        entrypoint: None,
        env: [("A".to_string(), "1".to_string())].into_iter().collect(),
        labels: BTreeMap::from([("k".into(), "v".into())]),
        networking: Networking::Networks(vec![Endpoint {
            network: "p_default".into(),
            aliases: vec!["db".into()],
            ipv4_address: None,
            ipv6_address: None,
        }]),
        ports: vec![PlanPort {
            container_port: 5432,
            protocol: "tcp".into(),
            host_ip: None,
            host_port: None,
        }],
        expose: Vec::new(),
        publish_all: true,
        mounts: vec![PlanMount {
            source: Some("p_data".into()),
            read_only: true,
            ..PlanMount::new(MountKind::Volume, "/data")
        }],
        tmpfs: vec![("/run".into(), "size=64m".into())],
        health: Health::Set(Healthcheck {
            test: Some(vec!["CMD-SHELL".into(), "pg_isready".into()]),
            interval: Some(Duration::from_millis(1500)),
            retries: Some(5),
            ..Default::default()
        }),
        hostname: None,
        working_dir: None,
        user: None,
        tty: false,
        stdin_open: false,
        stop_signal: None,
        stop_grace_period: None,
        extra_hosts: Vec::new(),
        ulimits: BTreeMap::new(),
        privileged: false,
        init: None,
        read_only: false,
        cap_add: Vec::new(),
        cap_drop: Vec::new(),
        dns: Vec::new(),
        shm_size: None,
        restart: None,
        domainname: None,
        dns_search: Vec::new(),
        dns_opt: Vec::new(),
        mac_address: None,
        resources: Default::default(),
        isolation: Default::default(),
        volumes_from: Vec::new(),
        logging: None,
        files: Vec::new(),
        post_start: Vec::new(),
        pre_stop: Vec::new(),
        links: Vec::new(),
    }
}

#[test]
fn create_body_carries_the_spec() {
    let body = create_body(&spec(), &["6000/tcp".to_string()], OwnPorts::Loopback);
    assert_eq!(body.image.as_deref(), Some("postgres:15"));
    assert_eq!(body.env, Some(vec!["A=1".to_string()]));
    assert_eq!(body.exposed_ports, Some(vec!["5432/tcp".to_string()]));
    let host = body.host_config.unwrap();
    let bindings = host.port_bindings.unwrap();
    let binding = &bindings["5432/tcp"].clone().unwrap()[0];
    // dockhand's own ports: ephemeral and on loopback on a local engine.
    assert_eq!(binding.host_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(binding.host_port.as_deref(), Some(""));
    // Publishing all on loopback is done port by port, the image's ports among them.
    assert_eq!(host.publish_all_ports, Some(false));
    let image_port = &bindings["6000/tcp"].clone().unwrap()[0];
    assert_eq!(image_port.host_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(host.network_mode.as_deref(), Some("p_default"));
    assert_eq!(host.tmpfs.unwrap()["/run"], "size=64m");
    let mount = &host.mounts.unwrap()[0];
    assert_eq!(mount.typ, Some(MountType::VOLUME));
    assert_eq!(mount.read_only, Some(true));
    let hc = body.healthcheck.unwrap();
    assert_eq!(hc.interval, Some(1_500_000_000));
    assert_eq!(hc.retries, Some(5));
    let eps = body.networking_config.unwrap().endpoints_config.unwrap();
    assert_eq!(eps["p_default"].aliases, Some(vec!["db".to_string()]));
}

#[test]
fn remote_engines_publish_everywhere_and_file_addresses_stay() {
    let mut s = spec();
    s.ports.push(PlanPort {
        container_port: 80,
        protocol: "tcp".into(),
        host_ip: Some(String::new()),
        host_port: Some("8080".into()),
    });
    let body = create_body(&s, &["6000/tcp".to_string()], OwnPorts::AllInterfaces);
    let host = body.host_config.unwrap();
    assert_eq!(host.publish_all_ports, Some(true));
    let bindings = host.port_bindings.unwrap();
    assert!(!bindings.contains_key("6000/tcp"));
    assert_eq!(
        bindings["5432/tcp"].clone().unwrap()[0].host_ip.as_deref(),
        Some("")
    );
    // A port written without an address binds every interface, local engine or not.
    let local = create_body(&s, &[], OwnPorts::Loopback);
    let b = local.host_config.unwrap().port_bindings.unwrap();
    assert_eq!(b["80/tcp"].clone().unwrap()[0].host_ip.as_deref(), Some(""));
    assert_eq!(
        b["80/tcp"].clone().unwrap()[0].host_port.as_deref(),
        Some("8080")
    );
}

#[test]
fn resources_and_isolation_reach_the_host_config() {
    let mut s = spec();
    s.resources.memory = Some(64 << 20);
    s.resources.nano_cpus = Some(500_000_000);
    s.resources.pids_limit = Some(50);
    s.isolation.storage_opt = BTreeMap::from([("size".into(), "1G".into())]);
    s.isolation.ipc = Some("container:p-holder-1".into());
    s.volumes_from = vec!["p-data-1:ro".into()];
    s.logging = Some(crate::plan::LogConfig {
        driver: "json-file".into(),
        options: BTreeMap::from([("max-size".into(), "1m".into())]),
    });
    let host = create_body(&s, &[], OwnPorts::Loopback)
        .host_config
        .unwrap();
    assert_eq!(host.memory, Some(64 << 20));
    assert_eq!(host.nano_cpus, Some(500_000_000));
    assert_eq!(host.pids_limit, Some(50));
    assert_eq!(host.storage_opt.unwrap()["size"], "1G");
    assert_eq!(host.ipc_mode.as_deref(), Some("container:p-holder-1"));
    assert_eq!(host.volumes_from, Some(vec!["p-data-1:ro".to_string()]));
    assert_eq!(host.blkio_weight, None);
    assert_eq!(host.blkio_device_read_bps, None);
    let log = host.log_config.unwrap();
    assert_eq!(log.typ.as_deref(), Some("json-file"));
    assert_eq!(log.config.unwrap()["max-size"], "1m");
}

#[test]
fn blkio_limits_reach_the_host_config() {
    let mut s = spec();
    let limit = |value| DeviceLimit {
        path: "/dev/vda".into(),
        value,
    };
    s.resources.blkio = crate::plan::Blkio {
        weight: Some(300),
        weight_device: vec![limit(400)],
        read_bps: vec![limit(1 << 20)],
        read_iops: vec![limit(100)],
        write_bps: vec![limit(2 << 20)],
        write_iops: vec![limit(200)],
    };
    let host = create_body(&s, &[], OwnPorts::Loopback)
        .host_config
        .unwrap();
    assert_eq!(host.blkio_weight, Some(300));
    let wd = &host.blkio_weight_device.unwrap()[0];
    assert_eq!(
        (wd.path.as_deref(), wd.weight),
        (Some("/dev/vda"), Some(400))
    );
    let rate = |t: Option<Vec<ThrottleDevice>>| {
        let t = &t.unwrap()[0];
        (t.path.clone().unwrap(), t.rate.unwrap())
    };
    assert_eq!(
        rate(host.blkio_device_read_bps),
        ("/dev/vda".into(), 1 << 20)
    );
    assert_eq!(rate(host.blkio_device_read_iops), ("/dev/vda".into(), 100));
    assert_eq!(
        rate(host.blkio_device_write_bps),
        ("/dev/vda".into(), 2 << 20)
    );
    assert_eq!(rate(host.blkio_device_write_iops), ("/dev/vda".into(), 200));
}

#[test]
fn only_the_first_network_at_create() {
    let mut s = spec();
    s.networking = Networking::Networks(vec![
        Endpoint {
            network: "p_front".into(),
            aliases: vec!["db".into()],
            ipv4_address: Some("172.28.0.5".into()),
            ipv6_address: None,
        },
        Endpoint {
            network: "p_back".into(),
            aliases: vec!["db".into()],
            ipv4_address: None,
            ipv6_address: None,
        },
    ]);
    let body = create_body(&s, &[], OwnPorts::Loopback);
    let eps = body.networking_config.unwrap().endpoints_config.unwrap();
    assert_eq!(eps.keys().collect::<Vec<_>>(), ["p_front"]);
    assert_eq!(
        eps["p_front"]
            .ipam_config
            .as_ref()
            .unwrap()
            .ipv4_address
            .as_deref(),
        Some("172.28.0.5")
    );
}

#[test]
fn files_are_packed_at_their_paths_with_their_modes() {
    let file = FileCopy {
        target: "/run/secrets/token".into(),
        what: "secret \"token\"".into(),
        content: FileContent::Bytes(b"s3cret".to_vec()),
        mode: 0o440,
        uid: 0,
        gid: 0,
    };
    let archive = files_archive(&[(&file, b"s3cret")]).unwrap();
    let mut a = tar::Archive::new(archive.as_slice());
    let mut entries = a.entries().unwrap();
    let mut e = entries.next().unwrap().unwrap();
    assert_eq!(e.path().unwrap().to_str(), Some("run/secrets/token"));
    assert_eq!(e.header().mode().unwrap(), 0o440);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut e, &mut text).unwrap();
    assert_eq!(text, "s3cret");
}

#[test]
fn healthcheck_disable_and_image_default() {
    assert_eq!(
        health_config(&Health::Disabled).unwrap().test,
        Some(vec!["NONE".to_string()])
    );
    assert_eq!(health_config(&Health::FromImage), None);
}

#[test]
fn a_shared_network_stack_takes_no_endpoints() {
    let mut s = spec();
    s.networking = Networking::Mode("container:p-app-1".into());
    let body = create_body(&s, &[], OwnPorts::Loopback);
    assert_eq!(
        body.host_config.unwrap().network_mode.as_deref(),
        Some("container:p-app-1")
    );
    assert!(
        body.networking_config
            .unwrap()
            .endpoints_config
            .unwrap()
            .is_empty()
    );
}

#[test]
fn device_requests_and_external_links_reach_the_request() {
    let mut s = spec();
    let plain = create_body(&s, &[], OwnPorts::Loopback);
    assert_eq!(plain.host_config.unwrap().device_requests, None);
    s.resources.device_requests = vec![crate::plan::DeviceRequest {
        driver: String::new(),
        count: -1,
        device_ids: Vec::new(),
        capabilities: vec![vec!["gpu".into()]],
        options: BTreeMap::new(),
    }];
    s.links = vec!["legacy-db:db".into()];
    let body = create_body(&s, &[], OwnPorts::Loopback);
    let host = body.host_config.unwrap();
    let request = &host.device_requests.unwrap()[0];
    assert_eq!(request.count, Some(-1));
    assert_eq!(request.driver.as_deref(), Some(""));
    assert_eq!(request.capabilities, Some(vec![vec!["gpu".to_string()]]));
    assert_eq!(host.links, Some(vec!["legacy-db:db".to_string()]));
    let eps = body.networking_config.unwrap().endpoints_config.unwrap();
    assert_eq!(
        eps["p_default"].links,
        Some(vec!["legacy-db:db".to_string()])
    );
}
