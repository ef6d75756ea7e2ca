"""Generated data: the demo city for trying the portal, and a province-sized dataset for benchmarks.

`seeding.seed_demo` and `seeding.seed_volume` are the entry points (see the `seed_demo`
management command); `world` builds regions, stations, people and units; `history` builds
suggestions with their timelines; `bulk` writes rows fast (COPY on PostgreSQL).
"""
