#!/usr/bin/python3
"""Offline checks of the Kubernetes manifests in k8s/ (no cluster here).

  manifest.py json FILE              the YAML documents as one JSON array
  manifest.py fields FILE            every field is one the Kubernetes API has
                                     (for the kinds k8s/ uses); one line per
                                     unknown field or wrong type, exit 1
  manifest.py env FILE CONTAINER     the container's environment as the
                                     kubelet renders it: resourceFieldRef from
                                     the container's resources with its divisor,
                                     then $(VAR) expanded from earlier entries
  manifest.py downward RESOURCE QUANTITY DIVISOR
                                     one Downward API value (e.g. limits.cpu
                                     1500m 1m -> 1500)

The field lists are those of the core/v1 and apps/v1 reference (1.30) for the
objects the manifests contain; an object not listed here is reported, so
that using one means adding its real fields first.
"""
import json
import math
import re
import sys
from decimal import Decimal

import yaml

META = {"name", "namespace", "labels", "annotations", "generateName", "uid",
        "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
        "deletionGracePeriodSeconds", "ownerReferences", "finalizers", "managedFields",
        "selfLink"}
# type name -> {field: type of its value}; a type is a key of TYPES, or one of
# str, int, bool, quantity (str or number), map (str -> str), any.
TYPES = {
    "Deployment": {"apiVersion": "str", "kind": "str", "metadata": "ObjectMeta",
                   "spec": "DeploymentSpec", "status": "any"},
    "ObjectMeta": dict.fromkeys(META, "any") | {"name": "str", "labels": "map",
                                                "annotations": "map"},
    "DeploymentSpec": {"replicas": "int", "selector": "LabelSelector",
                       "template": "PodTemplateSpec", "strategy": "any",
                       "minReadySeconds": "int", "revisionHistoryLimit": "int",
                       "paused": "bool", "progressDeadlineSeconds": "int"},
    "LabelSelector": {"matchLabels": "map", "matchExpressions": "any"},
    "PodTemplateSpec": {"metadata": "ObjectMeta", "spec": "PodSpec"},
    "PodSpec": {"containers": "[Container]", "initContainers": "[Container]",
                "ephemeralContainers": "any", "volumes": "[Volume]",
                "restartPolicy": "str", "terminationGracePeriodSeconds": "int",
                "activeDeadlineSeconds": "int", "dnsPolicy": "str", "dnsConfig": "any",
                "nodeSelector": "map", "nodeName": "str", "serviceAccountName": "str",
                "serviceAccount": "str", "automountServiceAccountToken": "bool",
                "hostNetwork": "bool", "hostPID": "bool", "hostIPC": "bool",
                "shareProcessNamespace": "bool", "securityContext": "any",
                "imagePullSecrets": "any", "hostname": "str", "subdomain": "str",
                "affinity": "any", "schedulerName": "str", "tolerations": "any",
                "hostAliases": "any", "priorityClassName": "str", "priority": "int",
                "readinessGates": "any", "runtimeClassName": "str",
                "enableServiceLinks": "bool", "preemptionPolicy": "str", "overhead": "any",
                "topologySpreadConstraints": "any", "setHostnameAsFQDN": "bool",
                "os": "any", "hostUsers": "bool", "schedulingGates": "any",
                "resourceClaims": "any"},
    "Container": {"name": "str", "image": "str", "command": "[str]", "args": "[str]",
                  "workingDir": "str", "ports": "[ContainerPort]", "envFrom": "any",
                  "env": "[EnvVar]", "resources": "ResourceRequirements",
                  "resizePolicy": "any", "restartPolicy": "str",
                  "volumeMounts": "[VolumeMount]", "volumeDevices": "any",
                  "livenessProbe": "any", "readinessProbe": "any", "startupProbe": "any",
                  "lifecycle": "any", "terminationMessagePath": "str",
                  "terminationMessagePolicy": "str", "imagePullPolicy": "str",
                  "securityContext": "any", "stdin": "bool", "stdinOnce": "bool",
                  "tty": "bool"},
    "ContainerPort": {"name": "str", "containerPort": "int", "hostPort": "int",
                      "hostIP": "str", "protocol": "str"},
    "EnvVar": {"name": "str", "value": "str", "valueFrom": "EnvVarSource"},
    "EnvVarSource": {"fieldRef": "any", "resourceFieldRef": "ResourceFieldSelector",
                     "configMapKeyRef": "any", "secretKeyRef": "any"},
    "ResourceFieldSelector": {"containerName": "str", "resource": "str",
                              "divisor": "quantity"},
    "ResourceRequirements": {"limits": "{quantity}", "requests": "{quantity}",
                             "claims": "any"},
    "VolumeMount": {"name": "str", "mountPath": "str", "subPath": "str",
                    "subPathExpr": "str", "readOnly": "bool", "mountPropagation": "str",
                    "recursiveReadOnly": "str"},
    "Volume": {"name": "str", "emptyDir": "EmptyDirVolumeSource"},
    "EmptyDirVolumeSource": {"medium": "str", "sizeLimit": "quantity"},
}
REQUIRED = {"Container": ["name"], "EnvVar": ["name"], "VolumeMount": ["name", "mountPath"],
            "Volume": ["name"], "ContainerPort": ["containerPort"],
            "ResourceFieldSelector": ["resource"], "DeploymentSpec": ["selector", "template"]}
# pkg/apis/core/validation: the divisors a resourceFieldRef accepts
DIVISORS = {"cpu": {"1m", "1"},
            "memory": {"1", "1k", "1M", "1G", "1T", "1P", "1E",
                       "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"}}
KINDS = {("apps/v1", "Deployment"): "Deployment"}


def check(value, typ, path, problems):
    if typ == "any":
        return
    if typ.startswith("[") and typ.endswith("]"):
        if not isinstance(value, list):
            problems.append(f"{path}: a list expected")
            return
        for i, item in enumerate(value):
            check(item, typ[1:-1], f"{path}[{i}]", problems)
        return
    if typ.startswith("{") and typ.endswith("}"):
        if not isinstance(value, dict):
            problems.append(f"{path}: a map expected")
            return
        for k, v in value.items():
            check(v, typ[1:-1], f"{path}.{k}", problems)
        return
    if typ == "quantity":
        try:
            parse_quantity(value)
        except ValueError:
            problems.append(f"{path}: {value!r} is not a quantity")
        return
    simple = {"str": str, "int": int, "bool": bool}
    if typ in simple:
        ok = isinstance(value, simple[typ]) and not (typ == "int" and isinstance(value, bool))
        if not ok:
            problems.append(f"{path}: {typ} expected, got {type(value).__name__} {value!r}")
        return
    if typ == "map":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            problems.append(f"{path}: a map of strings expected")
        return
    fields = TYPES[typ]
    if not isinstance(value, dict):
        problems.append(f"{path}: an object ({typ}) expected")
        return
    for k, v in value.items():
        if k not in fields:
            problems.append(f"{path}.{k}: no such field in {typ}")
        else:
            check(v, fields[k], f"{path}.{k}", problems)
    for k in REQUIRED.get(typ, []):
        if k not in value:
            problems.append(f"{path}: {typ} needs {k}")
    if typ == "ResourceFieldSelector" and "resource" in value:
        kind = value["resource"].split(".")[-1]
        div = str(value.get("divisor", "1"))
        if kind in DIVISORS and div not in DIVISORS[kind]:
            problems.append(f"{path}.divisor: {div} is not accepted for {value['resource']}")
    if typ == "Volume" and len(value) != 2:
        problems.append(f"{path}: one volume source expected (only emptyDir is known here)")


SUFFIX = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
          "k": Decimal(10) ** 3, "M": Decimal(10) ** 6, "G": Decimal(10) ** 9,
          "T": Decimal(10) ** 12, "P": Decimal(10) ** 15, "E": Decimal(10) ** 18,
          "Ki": Decimal(2) ** 10, "Mi": Decimal(2) ** 20, "Gi": Decimal(2) ** 30,
          "Ti": Decimal(2) ** 40, "Pi": Decimal(2) ** 50, "Ei": Decimal(2) ** 60}


def parse_quantity(q):
    """A Kubernetes quantity as an exact Decimal."""
    if isinstance(q, bool):
        raise ValueError(q)
    if isinstance(q, (int, float)):
        return Decimal(str(q))
    m = re.fullmatch(r"([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]?))",
                     str(q))
    if not m:
        raise ValueError(q)
    if m.group(2):
        return Decimal(m.group(1) + m.group(2))
    return Decimal(m.group(1)) * SUFFIX[m.group(3)]


def downward(resource, quantity, divisor="1"):
    """The kubelet's value: ceil(quantity / divisor), an integer string
    (pkg/api/v1/resource: ExtractContainerResourceValue)."""
    value = parse_quantity(quantity) / parse_quantity(divisor)
    return str(int(math.ceil(value)))


def expand(value, env):
    """$(VAR) from env (earlier entries only), $$ escapes, unknown kept."""
    def one(m):
        if m.group(0) == "$$":
            return "$"
        return env.get(m.group(1), m.group(0))
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)", one, value)


def containers(doc):
    spec = doc["spec"]["template"]["spec"]
    return spec.get("initContainers", []) + spec.get("containers", [])


def render_env(doc, name):
    by_name = {c["name"]: c for c in containers(doc)}
    env = {}
    for e in by_name[name].get("env", []):
        if "valueFrom" in e:
            ref = e["valueFrom"].get("resourceFieldRef")
            if ref is None:
                raise SystemExit(f"{e['name']}: only resourceFieldRef is simulated")
            target = by_name[ref.get("containerName", name)]
            kind, res = ref["resource"].split(".", 1)
            q = target.get("resources", {}).get(kind, {}).get(res)
            if q is None:
                raise SystemExit(f"{e['name']}: no {ref['resource']} (the node's allocatable "
                                 "would be used)")
            env[e["name"]] = downward(ref["resource"], q, ref.get("divisor", "1"))
        else:
            env[e["name"]] = expand(e.get("value", ""), env)
    return env


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "json" and len(argv) == 3:
        print(json.dumps(load(argv[2])))
    elif cmd == "fields" and len(argv) == 3:
        problems = []
        for i, doc in enumerate(load(argv[2])):
            key = (doc.get("apiVersion"), doc.get("kind"))
            if key not in KINDS:
                problems.append(f"doc {i}: {key[0]} {key[1]} is not a kind checked here")
                continue
            check(doc, KINDS[key], f"doc{i}", problems)
        if problems:
            print("\n".join(problems))
        return 1 if problems else 0
    elif cmd == "env" and len(argv) == 4:
        for doc in load(argv[2]):
            for k, v in render_env(doc, argv[3]).items():
                print(f"{k}={v}")
    elif cmd == "downward" and len(argv) == 5:
        print(downward(argv[2], argv[3], argv[4]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
