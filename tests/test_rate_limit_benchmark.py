"""Smoke test of the rate-limit benchmark's measuring code (fake clock: no real waiting)."""

from __future__ import annotations

import json

import pytest
from sync_helpers import FakeClock

from benchmarks.rate_limit import Request, _print, _save, measure, summarise

FIELDS = (
    "creates",
    "cost_requested",
    "cost_actual",
    "cost_per_create",
    "seconds",
    "points_per_second",
    "creates_per_second",
    "sustainable_creates_per_second",
    "overall_ratio",
    "steady_ratio",
    "steady_creates_per_second",
    "burst_creates",
    "time_efficiency",
    "throttled",
    "throttled_after_first",
    "throttled_at",
    "client",
)


@pytest.mark.slow
def test_a_small_export_reports_every_field_and_paces_at_the_restore_rate(tmp_path, capsys):
    clock = FakeClock()
    # 200 creates of 12 points: the full 2,000-point bucket takes ~166, the rest are paced
    result = measure(200, "standard", clock=clock, sleep=clock.sleep, workdir=tmp_path)
    for name in FIELDS:
        assert name in result, name
    assert result["status"] == "succeeded"
    assert result["creates"] == 200 == result["shopify_customers"]
    assert result["client"]["by_operation"]["CustomerSet"] == 200
    assert result["cost_per_create"] == 12
    assert result["sustainable_creates_per_second"] == pytest.approx(100 / 12)
    assert 150 <= result["burst_creates"] <= 170
    assert result["steady_ratio"] == pytest.approx(1.0, abs=0.05)
    assert result["overall_ratio"] > 1  # the starting burst
    assert result["time_efficiency"] == pytest.approx(1.0, abs=0.05)
    assert result["throttled"] == 0 and result["throttled_after_first"] == 0
    assert result["meets_target"]
    _print(result)
    assert "steady ratio" in capsys.readouterr().out
    _save(result, tmp_path / "rate.json")
    saved = json.loads((tmp_path / "rate.json").read_text())["results"]
    assert saved[0]["customers"] == 200


@pytest.mark.slow
def test_throttled_answers_are_counted(tmp_path):
    clock = FakeClock()

    def drain(emulator):  # the client's first request meets an empty bucket
        emulator.bucket.try_take(emulator.bucket.capacity)

    result = measure(
        20, "standard", clock=clock, sleep=clock.sleep, prepare=drain, workdir=tmp_path
    )
    # THROTTLED once (the client had not seen the bucket yet), then paced: none after the first
    assert result["throttled"] == 1 == result["client"]["throttled"]
    assert result["throttled_at"] == [0]
    assert result["throttled_after_first"] == 0
    assert result["creates"] == 20 and result["status"] == "succeeded"


def _request(operation="CustomerSet", t=0.0, available=100.0, throttled=False):
    return Request(
        operation=operation,
        sent=t,
        answered=t + 0.01,
        status=200,
        requested=12.0,
        actual=None if throttled else 12.0,
        available=available,
        maximum=100.0,
        restore_rate=10.0,
        throttled=throttled,
    )


def test_summarise_counts_throttled_answers_after_the_first():
    log = [
        _request(t=0.0, available=88),
        _request(t=0.1, available=76),
        _request(t=0.2, available=2),  # drained
        _request(t=0.3, available=0, throttled=True),
        _request(t=1.2, available=1),
        _request(t=1.3, available=0, throttled=True),
        _request(t=2.4, available=0),
    ]
    result = summarise(log, capacity=100.0, restore_rate=10.0)
    assert result["throttled"] == 2 == result["throttled_creates"]
    assert result["throttled_at"] == [3, 5]
    assert result["throttled_after_first"] == 2  # only the run's first request may be
    assert result["creates"] == 5 and result["create_requests"] == 7
    assert result["burst_creates"] == 3
    assert result["steady_creates"] == 2
    assert result["steady_points_per_second"] == pytest.approx(24 / 2.2)
    assert result["overall_ratio"] == pytest.approx((60 / 2.41) / 10)
