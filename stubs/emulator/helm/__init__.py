"""The emulated Flux helm side: a mini-Helm renderer and the controllers that use it.

- `charts.py`: a chart (Chart.yaml, values.yaml, templates) and the upstream chart index
  (clusters/emulated/charts/<chart>/<version>/);
- `render.py`: Jinja2 templates rendered with Helm's functions and Helm's error shapes;
- `values.py`: values merging, digests and Go durations;
- `source.py`: fetching a chart version for a HelmRepository URL (the upstream index, or
  Harbor through the gateway once the cutover points the repositories at it);
- `kstatus.py`: the kstatus rules for the workloads a release waits for;
- `apply.py`: applying a rendered release to the store and pruning what it dropped;
- `controller.py`: the helm-controller; `kustomize.py`: the bootstrap-kit Kustomization.
Rules: no I/O in render/values/kstatus; controllers wait on watches and timers only.
"""
