#!/usr/bin/python3
"""Offline check of the Pod Security Standards' "restricted" profile
(Kubernetes 1.30: every baseline control, plus the restricted ones) on the
pods of Kubernetes manifests, and of the field names of their security
contexts (which tests/container/manifest.py leaves open).

  restricted.py FILE...     one line per violation, exit 1; nothing, exit 0

Written from https://kubernetes.io/docs/concepts/security/pod-security-standards/
"""
import sys

import yaml

POD_SC = {"seLinuxOptions", "windowsOptions", "runAsUser", "runAsGroup", "runAsNonRoot",
          "supplementalGroups", "supplementalGroupsPolicy", "fsGroup", "sysctls",
          "fsGroupChangePolicy", "seccompProfile", "appArmorProfile", "seLinuxChangePolicy"}
CTR_SC = {"capabilities", "privileged", "seLinuxOptions", "windowsOptions", "runAsUser",
          "runAsGroup", "runAsNonRoot", "readOnlyRootFilesystem", "allowPrivilegeEscalation",
          "procMount", "seccompProfile", "appArmorProfile"}
SUB = {"capabilities": {"add", "drop"}, "seccompProfile": {"type", "localhostProfile"},
       "appArmorProfile": {"type", "localhostProfile"},
       "seLinuxOptions": {"user", "role", "type", "level"},
       "windowsOptions": {"gmsaCredentialSpecName", "gmsaCredentialSpec", "runAsUserName",
                          "hostProcess"}}
BASELINE_CAPS = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                 "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
                "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
           "projected", "secret"}
SECCOMP_OK = {"RuntimeDefault", "Localhost"}


def pod_of(doc):
    """The pod spec and metadata of a Pod or of a workload's template."""
    kind = doc.get("kind")
    if kind == "Pod":
        return doc.get("spec") or {}, doc.get("metadata") or {}
    spec = doc.get("spec") or {}
    if kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    tmpl = spec.get("template")
    if tmpl is None:
        return None, None
    return tmpl.get("spec") or {}, tmpl.get("metadata") or {}


def check_fields(where, sc, allowed, out):
    for k, v in sc.items():
        if k not in allowed:
            out.append(f"{where}.{k}: no such field")
        elif k in SUB and isinstance(v, dict):
            for sk in v:
                if sk not in SUB[k]:
                    out.append(f"{where}.{k}.{sk}: no such field")


def check_pod(spec, meta, out):
    psc = spec.get("securityContext") or {}
    check_fields("spec.securityContext", psc, POD_SC, out)
    for f in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(f):
            out.append(f"spec.{f}: host namespaces are not allowed")
    for v in spec.get("volumes") or []:
        kinds = [k for k in v if k != "name"]
        for k in kinds:
            if k not in VOLUMES:
                out.append(f"volume {v.get('name')}: {k} volumes are not allowed (restricted: "
                           f"{', '.join(sorted(VOLUMES))})")
    for s in psc.get("sysctls") or []:
        if s.get("name") not in SAFE_SYSCTLS:
            out.append(f"spec.securityContext.sysctls: {s.get('name')} is not a safe sysctl")
    pod_seccomp = (psc.get("seccompProfile") or {}).get("type")
    for key, value in (meta.get("annotations") or {}).items():
        if key.startswith("container.apparmor.security.beta.kubernetes.io/") and \
                value == "unconfined":
            out.append(f"annotation {key}: AppArmor must not be unconfined")
    containers = [("initContainers", c) for c in spec.get("initContainers") or []] + \
        [("containers", c) for c in spec.get("containers") or []] + \
        [("ephemeralContainers", c) for c in spec.get("ephemeralContainers") or []]
    if not containers:
        out.append("spec.containers: none")
    for field, c in containers:
        where = f"{field}[{c.get('name')}]"
        sc = c.get("securityContext") or {}
        check_fields(f"{where}.securityContext", sc, CTR_SC, out)
        for p in c.get("ports") or []:
            if p.get("hostPort"):
                out.append(f"{where}: hostPort {p['hostPort']} is not allowed")
        if sc.get("privileged"):
            out.append(f"{where}: privileged is not allowed")
        if sc.get("procMount", "Default") != "Default":
            out.append(f"{where}: procMount must be Default")
        if (sc.get("windowsOptions") or {}).get("hostProcess") or \
                (psc.get("windowsOptions") or {}).get("hostProcess"):
            out.append(f"{where}: hostProcess is not allowed")
        for ctx in (sc, psc):
            se = ctx.get("seLinuxOptions") or {}
            if se.get("type", "") not in SELINUX_TYPES or se.get("user") or se.get("role"):
                out.append(f"{where}: seLinuxOptions beyond the allowed types")
            if (ctx.get("appArmorProfile") or {}).get("type") == "Unconfined":
                out.append(f"{where}: appArmorProfile Unconfined is not allowed")
        if sc.get("allowPrivilegeEscalation") is not False:
            out.append(f"{where}: securityContext.allowPrivilegeEscalation must be false")
        non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
        if non_root is not True:
            out.append(f"{where}: runAsNonRoot must be true (in the container or the pod)")
        if sc.get("runAsUser", psc.get("runAsUser")) == 0:
            out.append(f"{where}: runAsUser must not be 0")
        seccomp = (sc.get("seccompProfile") or {}).get("type")
        if seccomp is not None and seccomp not in SECCOMP_OK:
            out.append(f"{where}: seccompProfile {seccomp} is not allowed")
        if seccomp is None and pod_seccomp not in SECCOMP_OK:
            out.append(f"{where}: seccompProfile must be RuntimeDefault or Localhost "
                       "(in the container or the pod)")
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            out.append(f"{where}: capabilities must drop ALL")
        for cap in caps.get("add") or []:
            if cap != "NET_BIND_SERVICE":
                out.append(f"{where}: capability {cap} may not be added "
                           f"({'baseline allows it, ' if cap in BASELINE_CAPS else ''}"
                           "restricted allows NET_BIND_SERVICE only)")


def main(paths):
    bad = 0
    for path in paths:
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        pods = 0
        for i, doc in enumerate(docs):
            spec, meta = pod_of(doc)
            if spec is None:
                continue
            pods += 1
            out = []
            check_pod(spec, meta, out)
            name = (doc.get("metadata") or {}).get("name", "?")
            for line in out:
                print(f"{path.rsplit('/', 1)[-1]}: {doc.get('kind')} {name}: {line}")
            bad += len(out)
        if pods == 0:
            print(f"{path}: no pod in it")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
