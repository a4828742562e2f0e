#!/bin/sh
# Prints what the container observes, section by section, for the runtime parity suite.
# Arguments pick the sections: `hosts:a,b` `replicas:web` `nets` `env` `mounts` `id` `caps`
# `sysctl:net.core.somaxconn,...` `cgroup` `hostname` `resolv` `etchosts` `ps` `pshost`
# `files:/run/secrets/x,...` `limits` `ns` `devices:/dev/x` `cgpath` `write:/path` `blkio`.
# Everything goes to stdout, sorted where the order is the engine's whim.

section() { echo "== $1"; }

for arg in "$@"; do
  name=${arg%%:*}
  list=$(echo "${arg#*:}" | tr ',' ' ')
  case "$name" in
    hosts)
      section hosts
      for h in $list; do
        out=$(getent hosts "$h" | awk '{ $1=""; print substr($0,2) }' | tr ' ' '\n' | sort -u | tr '\n' ' ')
        addr=$(getent hosts "$h" | awk '{print $1}' | sort -u | tr '\n' ' ')
        echo "$h -> ${addr:-unresolved} names: ${out}"
      done ;;
    replicas)
      section replicas
      for h in $list; do
        echo "$h: $(getent ahostsv4 "$h" | awk '{print $1}' | sort -u | wc -l) addresses"
      done ;;
    nets)
      section nets
      for i in $(ls /sys/class/net | sort); do
        echo "$i mtu $(cat /sys/class/net/$i/mtu)"
      done
      awk '/32 host LOCAL/ { print prev } { prev = $2 }' /proc/net/fib_trie | sort -u ;;
    env)
      section env
      env | grep -v '^PWD=\|^SHLVL=\|^_=' | sort ;;
    mounts)
      section mounts
      # mount point, its options, the file system, and tmpfs size and mode
      awk '{
        for (i = 7; $i != "-"; i++) ;
        fs = $(i + 1); sup = $(i + 3); extra = "";
        if (fs == "tmpfs") { n = split(sup, o, ","); for (j = 1; j <= n; j++) if (o[j] ~ /^(size|mode)=/) extra = extra " " o[j] }
        split($6, mo, ","); print $5, mo[1], fs extra
      }' /proc/self/mountinfo | grep -v '^/proc\|^/sys\|^/dev/pts\|^/dev/mqueue\|^/dev \|^/dev/console\|^/probe.sh' | sort ;;
    id)
      section id
      id ;;
    caps)
      section caps
      grep -E '^(CapPrm|CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status ;;
    sysctl)
      section sysctl
      for s in $list; do
        echo "$s = $(cat /proc/sys/$(echo "$s" | tr . /) 2>&1)"
      done ;;
    cgroup)
      section cgroup
      c=/sys/fs/cgroup
      for f in memory/memory.limit_in_bytes memory/memory.soft_limit_in_bytes \
               memory/memory.memsw.limit_in_bytes memory/memory.swappiness memory/memory.oom_control \
               cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpu/cpu.shares cpu/cpu.rt_runtime_us \
               cpuset/cpuset.cpus pids/pids.max; do
        echo "$f: $(cat $c/$f 2>/dev/null | tr '\n' ' ')"
      done ;;
    blkio)
      section blkio
      c=/sys/fs/cgroup/blkio
      for f in blkio.weight blkio.weight_device blkio.throttle.read_bps_device \
               blkio.throttle.read_iops_device blkio.throttle.write_bps_device \
               blkio.throttle.write_iops_device; do
        [ -e "$c/$f" ] && echo "$f: $(cat $c/$f | tr '\n' ' ')"
      done ;;
    cgpath)
      section cgpath
      grep ':memory:' /proc/self/cgroup ;;
    hostname)
      section hostname
      echo "hostname: $(hostname)"
      echo "domainname: $(cat /proc/sys/kernel/domainname)"
      echo "fqdn: $(hostname -f 2>&1)" ;;
    resolv)
      section resolv
      grep -v '^#' /etc/resolv.conf | grep -v '^$' ;;
    etchosts)
      section etchosts
      grep -v '^#' /etc/hosts | grep -v '^$' | sort ;;
    ps)
      section ps
      ps -e -o user=,comm= | grep -v ' ps$\|sh$\|sort$\|grep$' | sort ;;
    pshost)
      section pshost
      if pgrep -x dockerd >/dev/null; then echo "sees dockerd: yes"; else echo "sees dockerd: no"; fi ;;
    files)
      section files
      for f in $list; do
        stat -c '%n %a %U:%G %F' "$f" 2>&1
        cat "$f" 2>&1; echo
      done ;;
    limits)
      section limits
      grep -E '^Max (open files|processes|core file size|locked memory)' /proc/self/limits ;;
    ns)
      section ns
      # Whether another container shares this one's namespaces shows in what it can see.
      echo "ipcs shm: $(ipcs -m | grep -c '^0x')" ;;
    devices)
      section devices
      for d in $list; do stat -c '%n %F %t:%T' "$d" 2>&1; done ;;
    write)
      section write
      for f in $list; do
        if (echo x > "$f") 2>/dev/null; then echo "$f: writable"; else echo "$f: read-only"; fi
      done ;;
    oom)
      section oom
      echo "oom_score_adj: $(cat /proc/self/oom_score_adj)" ;;
    uidmap)
      section uidmap
      cat /proc/self/uid_map ;;
    pwd)
      section pwd
      pwd ;;
    args)
      section args
      tr '\0' ' ' < /proc/1/cmdline; echo ;;
    *)
      echo "unknown section $arg" ;;
  esac
done
exit 0
