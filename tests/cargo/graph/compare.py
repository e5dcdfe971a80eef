#!/usr/bin/env python3
"""Compare two `--unit-graph` JSON files (cargo's, ferrix's): the same units, each with the same
package, target, mode, features, platform, optimisation level (which tells host units from target
units without --target) and dependencies, and the same roots. Prints the differences; exit 1 if
any."""
import collections
import json
import re
import sys


def package(pkg_id):
    # "SOURCE#NAME@VERSION", "path+file:///x/NAME#VERSION" or the old "NAME VERSION (SOURCE)"
    m = re.match(r"^(\S+) (\S+) \(", pkg_id)
    if m:
        return m.group(1), m.group(2)
    url, _, rest = pkg_id.rpartition("#")
    if "@" in rest:
        name, _, version = rest.partition("@")
    else:
        name, version = url.rstrip("/").rsplit("/", 1)[1], rest
    return name, version


def keys(graph):
    units = graph["units"]

    def head(u):
        name, version = package(u["pkg_id"])
        return (name, version, tuple(u["target"]["kind"]), u["target"]["name"], u["mode"],
                str(u["platform"]), u["profile"]["opt_level"])

    out = []
    for u in units:
        deps = sorted((head(units[d["index"]])[0], head(units[d["index"]])[2],
                       head(units[d["index"]])[4], d["extern_crate_name"])
                      for d in u["dependencies"])
        out.append(head(u) + (tuple(sorted(u["features"])), tuple(deps)))
    roots = sorted(out[r] for r in graph["roots"])
    return collections.Counter(out), roots


def show(k):
    name, version, kind, target, mode, platform, opt, features, deps = k
    return (f"{name} {version} {'/'.join(kind)} {target} {mode} platform={platform} opt={opt}\n"
            f"      features {list(features)}\n"
            f"      deps {[d[0] + ' ' + '/'.join(d[1]) + ' ' + d[2] + ' ' + d[3] for d in deps]}")


cargo_units, cargo_roots = keys(json.load(open(sys.argv[1])))
ferrix_units, ferrix_roots = keys(json.load(open(sys.argv[2])))
bad = False
for k in sorted((cargo_units - ferrix_units).elements()):
    print("  only cargo's: " + show(k))
    bad = True
for k in sorted((ferrix_units - cargo_units).elements()):
    print("  only ferrix's: " + show(k))
    bad = True
if not bad and cargo_roots != ferrix_roots:
    print("  the roots differ")
    bad = True
print(f"  {sum(cargo_units.values())} units (cargo), {sum(ferrix_units.values())} (ferrix)")
sys.exit(1 if bad else 0)
