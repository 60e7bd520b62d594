{
  "targets": [
    {
      "target_name": "zr_bench",
      "sources": ["zr_bench.c"],
      "cflags": ["-O3", "-Wall", "-Wextra", "-fno-strict-aliasing"]
    }
  ]
}
