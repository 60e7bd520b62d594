{
  "targets": [
    {
      "target_name": "rawio",
      "sources": ["rawio.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
