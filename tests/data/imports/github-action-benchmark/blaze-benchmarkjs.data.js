window.BENCHMARK_DATA = {
  "lastUpdate": 1766689666450,
  "repoUrl": "https://github.com/sourcemeta/blaze",
  "entries": {
    "Bindings (linux/nodejs)": [
      {
        "commit": {
          "author": {
            "email": "jv@jviotti.com",
            "name": "Juan Cruz Viotti",
            "username": "jviotti"
          },
          "committer": {
            "email": "noreply@github.com",
            "name": "GitHub",
            "username": "web-flow"
          },
          "distinct": true,
          "id": "6eefac31eeb0c49c7baaea8c546e4c8fda030d51",
          "message": "Prototype a Node.js native add-on (alpha) (#567)\n\nSigned-off-by: Juan Cruz Viotti <jv@jviotti.com>",
          "timestamp": "2025-12-05T15:51:38-04:00",
          "tree_id": "85032575ad0432c17280b9b058ced427c0de7217",
          "url": "https://github.com/sourcemeta/blaze/commit/6eefac31eeb0c49c7baaea8c546e4c8fda030d51"
        },
        "date": 1764964651654,
        "tool": "benchmarkjs",
        "benches": [
          {
            "name": "E2E_Parse_BlazeJSON_ui5_manifest",
            "value": 111,
            "range": "±0.32%",
            "unit": "ops/sec",
            "extra": "81 samples"
          },
          {
            "name": "E2E_Parse_JSON_ui5_manifest",
            "value": 800,
            "range": "±0.95%",
            "unit": "ops/sec",
            "extra": "95 samples"
          },
          {
            "name": "E2E_Evaluator_adaptivecard",
            "value": 14210,
            "range": "±0.18%",
            "unit": "ops/sec",
            "extra": "97 samples"
          }
        ]
      },
      {
        "commit": {
          "author": {
            "email": "jv@jviotti.com",
            "name": "Juan Cruz Viotti",
            "username": "jviotti"
          },
          "committer": {
            "email": "noreply@github.com",
            "name": "GitHub",
            "username": "web-flow"
          },
          "distinct": true,
          "id": "a82e9b37743a3798e766705cf6d82df06a81355f",
          "message": "Upgrade Core to `d1f56664fe8c1ce04bb213b7f703bccdcce8ec54` (#568)\n\nSigned-off-by: Juan Cruz Viotti <jv@jviotti.com>",
          "timestamp": "2025-12-05T17:25:52-04:00",
          "tree_id": "af7ae7b173641b6a23340107e4376fe43aecad95",
          "url": "https://github.com/sourcemeta/blaze/commit/a82e9b37743a3798e766705cf6d82df06a81355f"
        },
        "date": 1764970303802,
        "tool": "benchmarkjs",
        "benches": [
          {
            "name": "E2E_Parse_BlazeJSON_ui5_manifest",
            "value": 111,
            "range": "±0.30%",
            "unit": "ops/sec",
            "extra": "81 samples"
          },
          {
            "name": "E2E_Parse_JSON_ui5_manifest",
            "value": 801,
            "range": "±0.76%",
            "unit": "ops/sec",
            "extra": "96 samples"
          },
          {
            "name": "E2E_Evaluator_adaptivecard",
            "value": 14325,
            "range": "±0.11%",
            "unit": "ops/sec",
            "extra": "96 samples"
          }
        ]
      }
    ]
  }
}
