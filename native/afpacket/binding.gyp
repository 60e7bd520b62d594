{
  "targets": [
    {
      "target_name": "zr_afpacket",
      "sources": ["zr_afpacket.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-fno-strict-aliasing"]
    }
  ]
}
