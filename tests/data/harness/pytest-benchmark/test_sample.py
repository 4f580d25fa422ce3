"""Sample benchmarks for perfledger's pytest-benchmark adapter test
(src/adapters/pytest_benchmark_test.cc): a plain benchmark, parametrised ones (brackets in
the name), and one in a group. Standard library only; run with
    python3 -m pytest -q -p no:cacheprovider --benchmark-json=out.json \
        --benchmark-min-rounds=5 [--benchmark-save-data --benchmark-save=NAME] test_sample.py
"""
import json

import pytest


def test_sum(benchmark):
    result = benchmark(sum, range(1000))
    assert result == 499500


@pytest.mark.parametrize("size", ["small", "large one"])
def test_parse(benchmark, size):
    n = 10 if size == "small" else 1000
    text = json.dumps(list(range(n)))
    result = benchmark(json.loads, text)
    assert len(result) == n


@pytest.mark.benchmark(group="sorting")
def test_sort(benchmark):
    data = list(reversed(range(500)))
    result = benchmark(sorted, data)
    assert result[0] == 0
