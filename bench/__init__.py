"""The benchmark suite (issue 9): `make bench` and `make bench-smoke`.

Scripts, not part of the served portal, except the two floor views in `bench.views`, which are
routed only when BENCH_ENDPOINTS is on. See bench/README.md for what is measured and how.
"""
