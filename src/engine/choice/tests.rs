//! The choice of engine, from addresses, environments and context stores made up here.

use super::*;

fn tcp(host: &str, port: u16) -> EngineHost {
    EngineHost::Tcp {
        host: host.into(),
        port,
    }
}

#[test]
fn addresses_read_as_the_docker_cli_reads_them() {
    assert_eq!(
        EngineHost::parse("unix:///run/docker.sock", false),
        Ok(EngineHost::Unix("/run/docker.sock".into()))
    );
    assert_eq!(
        EngineHost::parse("tcp://10.0.0.5:2376", true),
        Ok(tcp("10.0.0.5", 2376))
    );
    assert_eq!(
        EngineHost::parse("tcp://build-box", false),
        Ok(tcp("build-box", 2375))
    );
    assert_eq!(
        EngineHost::parse("tcp://build-box/", true),
        Ok(tcp("build-box", 2376))
    );
    assert_eq!(
        EngineHost::parse("build-box:2375", false),
        Ok(tcp("build-box", 2375))
    );
    assert_eq!(
        EngineHost::parse("tcp://[::1]:2376", true),
        Ok(tcp("::1", 2376))
    );
    assert_eq!(
        EngineHost::parse("ssh://ci@build-box:2222", false),
        Ok(EngineHost::Ssh {
            user: Some("ci".into()),
            host: "build-box".into(),
            port: Some(2222)
        })
    );
    assert_eq!(
        EngineHost::parse("ssh://build-box", false),
        Ok(EngineHost::Ssh {
            user: None,
            host: "build-box".into(),
            port: None
        })
    );
}

#[test]
fn bad_addresses_say_what_is_wrong() {
    let err = |a: &str| EngineHost::parse(a, false).unwrap_err();
    assert!(err("npipe:////./pipe/docker_engine").contains("not npipe://"));
    assert!(err("tcp://host:abc").contains("not a port number"));
    assert!(err("tcp://host:0").contains("not a port number"));
    assert!(err("tcp://:2375").contains("no host name"));
    assert!(err("unix://docker.sock").contains("absolute path"));
    assert!(err("ssh://host/path").contains("path after the host"));
    assert!(err("ssh://@host").contains("empty user"));
}

#[test]
fn addresses_print_back_whole() {
    for a in [
        "unix:///var/run/docker.sock",
        "tcp://127.0.0.1:2376",
        "tcp://[::1]:2375",
        "ssh://root@127.0.0.1:2222",
        "ssh://box",
    ] {
        assert_eq!(EngineHost::parse(a, false).unwrap().to_string(), a);
    }
}

#[test]
fn sockets_and_loopback_are_local_ssh_and_other_hosts_are_not() {
    let local = |a: &str| EngineHost::parse(a, false).unwrap().is_on_this_machine();
    assert!(local("unix:///var/run/docker.sock"));
    assert!(local("tcp://127.0.0.1:2375"));
    assert!(local("tcp://127.0.0.2:2375"));
    assert!(local("tcp://localhost:2375"));
    assert!(local("tcp://[::1]:2375"));
    assert!(!local("tcp://10.0.0.5:2375"));
    assert!(!local("tcp://build-box:2375"));
    assert!(!local("ssh://root@127.0.0.1"));
    assert_eq!(
        EngineHost::parse("ssh://ci@box:22", false)
            .unwrap()
            .published_host(),
        "box"
    );
    assert_eq!(
        EngineHost::parse("unix:///x", false)
            .unwrap()
            .published_host(),
        "127.0.0.1"
    );
}

#[test]
fn the_users_word_overrides_the_address() {
    let choice = EngineChoice::default();
    assert!(choice.is_local());
    assert!(!choice.clone().located(Location::Remote).is_local());
    let remote = EngineChoice {
        host: tcp("10.0.0.5", 2376),
        ..EngineChoice::default()
    };
    assert!(!remote.is_local());
    assert!(remote.located(Location::Local).is_local());
}

fn env_in(dir: &Path) -> DockerEnv {
    DockerEnv {
        config_dir: Some(dir.to_path_buf()),
        ..DockerEnv::default()
    }
}

/// A context stored as `docker context create` stores it, with TLS files when `tls`.
fn store_context(dir: &Path, name: &str, host: &str, tls: bool) {
    let id = context_id(name);
    let meta = dir.join("contexts/meta").join(&id);
    std::fs::create_dir_all(&meta).unwrap();
    std::fs::write(
        meta.join("meta.json"),
        format!(
            r#"{{"Name":"{name}","Metadata":{{}},"Endpoints":{{"docker":{{"Host":"{host}","SkipTLSVerify":false}}}}}}"#
        ),
    )
    .unwrap();
    if tls {
        let tls = dir.join("contexts/tls").join(&id).join("docker");
        std::fs::create_dir_all(&tls).unwrap();
        for f in ["ca.pem", "cert.pem", "key.pem"] {
            std::fs::write(tls.join(f), "").unwrap();
        }
    }
}

#[test]
fn nothing_set_is_the_local_socket() {
    let dir = tempfile::tempdir().unwrap();
    let choice = EngineChoice::resolve(&EngineRequest::default(), &env_in(dir.path())).unwrap();
    assert_eq!(choice, EngineChoice::default());
    assert!(choice.is_local());
}

#[test]
fn docker_host_with_tls_verify_takes_the_cert_path() {
    let env = DockerEnv {
        host: Some("tcp://10.0.0.5".into()),
        tls_verify: true,
        cert_path: Some("/certs".into()),
        config_dir: Some("/home/u/.docker".into()),
        ..DockerEnv::default()
    };
    let choice = EngineChoice::resolve(&EngineRequest::default(), &env).unwrap();
    assert_eq!(choice.host, tcp("10.0.0.5", 2376));
    assert_eq!(choice.tls, Some(TlsFiles::in_dir("/certs")));
    assert_eq!(choice.source, ChoiceSource::DockerHost);
    assert_eq!(choice.tls.unwrap().key(), Path::new("/certs/key.pem"));
    // Without DOCKER_CERT_PATH the files are the config folder's.
    let env = DockerEnv {
        cert_path: None,
        ..env
    };
    let choice = EngineChoice::resolve(&EngineRequest::default(), &env).unwrap();
    assert_eq!(choice.tls, Some(TlsFiles::in_dir("/home/u/.docker")));
}

#[test]
fn the_host_option_beats_docker_host_and_contexts() {
    let dir = tempfile::tempdir().unwrap();
    store_context(dir.path(), "far", "tcp://far:2376", true);
    std::fs::write(
        dir.path().join("config.json"),
        r#"{"currentContext":"far"}"#,
    )
    .unwrap();
    let env = DockerEnv {
        host: Some("tcp://from-env:2375".into()),
        context: Some("far".into()),
        ..env_in(dir.path())
    };
    let request = EngineRequest {
        host: Some("ssh://ci@box".into()),
        ..EngineRequest::default()
    };
    let choice = EngineChoice::resolve(&request, &env).unwrap();
    assert_eq!(choice.source, ChoiceSource::HostOption);
    assert!(matches!(choice.host, EngineHost::Ssh { .. }));
    // DOCKER_HOST beats DOCKER_CONTEXT and the current context.
    let choice = EngineChoice::resolve(&EngineRequest::default(), &env).unwrap();
    assert_eq!(choice.host, tcp("from-env", 2375));
}

#[test]
fn host_and_context_together_are_refused() {
    let request = EngineRequest {
        host: Some("tcp://a:2375".into()),
        context: Some("b".into()),
        ..EngineRequest::default()
    };
    let e = EngineChoice::resolve(&request, &DockerEnv::default()).unwrap_err();
    assert!(matches!(e, EngineError::ConflictingChoice { .. }), "{e}");
}

#[test]
fn contexts_come_from_the_option_the_variable_or_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    store_context(dir.path(), "far", "tcp://far.example:2376", true);
    store_context(dir.path(), "near", "unix:///run/other.sock", false);
    let env = env_in(dir.path());
    let expected_tls = TlsFiles::in_dir(
        dir.path()
            .join("contexts/tls")
            .join(context_id("far"))
            .join("docker"),
    );

    let by_option = EngineRequest {
        context: Some("far".into()),
        ..EngineRequest::default()
    };
    let choice = EngineChoice::resolve(&by_option, &env).unwrap();
    assert_eq!(choice.host, tcp("far.example", 2376));
    assert_eq!(choice.tls, Some(expected_tls.clone()));
    assert!(!choice.is_local());
    assert_eq!(
        choice.source.to_string(),
        "context far (named by --context)"
    );

    let by_variable = DockerEnv {
        context: Some("near".into()),
        ..env.clone()
    };
    let choice = EngineChoice::resolve(&EngineRequest::default(), &by_variable).unwrap();
    assert_eq!(choice.host, EngineHost::Unix("/run/other.sock".into()));
    assert_eq!(choice.tls, None);

    std::fs::write(
        dir.path().join("config.json"),
        r#"{"auths":{},"currentContext":"far"}"#,
    )
    .unwrap();
    let choice = EngineChoice::resolve(&EngineRequest::default(), &env).unwrap();
    assert_eq!(choice.tls, Some(expected_tls));
    assert!(choice.source.to_string().contains("currentContext in"));

    // `default` is the environment's engine, as with the docker CLI.
    std::fs::write(
        dir.path().join("config.json"),
        r#"{"currentContext":"default"}"#,
    )
    .unwrap();
    let choice = EngineChoice::resolve(&EngineRequest::default(), &env).unwrap();
    assert_eq!(choice, EngineChoice::default());
}

#[test]
fn a_missing_context_names_where_it_was_looked_for() {
    let dir = tempfile::tempdir().unwrap();
    let request = EngineRequest {
        context: Some("gone".into()),
        ..EngineRequest::default()
    };
    let e = EngineChoice::resolve(&request, &env_in(dir.path())).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("no Docker context named gone"), "{text}");
    assert!(text.contains(&context_id("gone")), "{text}");
    std::fs::write(dir.path().join("config.json"), "{not json").unwrap();
    let e = EngineChoice::resolve(&EngineRequest::default(), &env_in(dir.path())).unwrap_err();
    assert!(e.to_string().contains("config.json"), "{e}");
}

#[test]
fn tls_without_verification_is_refused() {
    let env = DockerEnv {
        host: Some("tcp://box:2376".into()),
        tls_unverified: true,
        ..DockerEnv::default()
    };
    let e = EngineChoice::resolve(&EngineRequest::default(), &env).unwrap_err();
    assert!(matches!(e, EngineError::TlsWithoutVerify { .. }), "{e}");
}

#[test]
fn the_ssh_command_is_read_as_shell_words() {
    let env = DockerEnv {
        ssh_command: Some("ssh -F '/tmp/a b/config'".into()),
        ..DockerEnv::default()
    };
    let choice = EngineChoice::resolve(&EngineRequest::default(), &env).unwrap();
    assert_eq!(choice.ssh_command, ["ssh", "-F", "/tmp/a b/config"]);
}

#[test]
fn a_child_process_is_told_the_same_engine() {
    let choice = EngineChoice {
        host: tcp("box", 2376),
        tls: Some(TlsFiles::in_dir("/certs")),
        ..EngineChoice::default()
    };
    let env: std::collections::BTreeMap<_, _> = choice.child_env().into_iter().collect();
    assert_eq!(env["DOCKER_HOST"].as_deref(), Some("tcp://box:2376"));
    assert_eq!(env["DOCKER_TLS_VERIFY"].as_deref(), Some("1"));
    assert_eq!(env["DOCKER_CERT_PATH"].as_deref(), Some("/certs"));
    assert_eq!(env["DOCKER_CONTEXT"], None);
    // What the child reads back is the same engine.
    let back = DockerEnv {
        host: env["DOCKER_HOST"].clone(),
        tls_verify: true,
        cert_path: env["DOCKER_CERT_PATH"].clone().map(PathBuf::from),
        ..DockerEnv::default()
    };
    let again = EngineChoice::resolve(&EngineRequest::default(), &back).unwrap();
    assert_eq!((again.host, again.tls), (choice.host, choice.tls));
}
