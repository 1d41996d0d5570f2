"""Side by side, whole processes, the same files: shopsync's CLI against the peers (issue 14).

    python -m benchmarks.side_by_side [--sizes 100000,1000000] [--runs 3] [--check]
                                      [--out benchmarks/side_by_side.json]

For each size the files are generated first (untimed, cached: ``benchmarks/files.py``). Then
each run times four processes, one after the other, alternating:

* ``preview``: ``shopsync preview-import --config shop.toml --erp erp.csv --shopify
  customers.jsonl --out plan.csv --db sqlite://`` (an in-memory store: a pure file job);
* ``duckdb``: the DuckDB SQL peer doing the same e-mail -> E.164 linkage from the same files
  (``benchmarks/peers.py``);
* ``validate``: ``shopsync validate-export --config shop.toml --erp erp.csv --out
  validation.csv --db sqlite://``;
* ``per_row``: the per-row export check (phonenumbers and an e-mail check per row, plain
  Python) on the same CSV.

Each process is started by a small launcher (``benchmarks/launch.py``: ``subprocess.Popen``,
reaped with ``os.wait4``): wall time from start to exit, peak RSS = the child's ``ru_maxrss``
(workers it forks and waits for count with their own peak, not added up; the launcher stays
small because Linux carries the spawning process's peak into the child's at ``exec``).
Reported per job: median seconds and peak MB over the runs; per pair the ratios (shopsync's
median time and peak over the peer's: below 1 is faster or smaller); and whether the answers
agree: the same (Shopify id -> ERP number, rule) links from the preview and DuckDB, the same
phone (E.164 sent, PHONE_INVALID) and e-mail (sent, EMAIL_INVALID) verdicts per ERP customer
from the validation and the per-row check. With
``--check`` the exit status is 1 when any answer disagrees or the planted e-mail matches are
not all found.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.files import BenchFiles, bench_files
from benchmarks.run import git_state

__all__ = ["JOBS", "PAIRS", "compare_links", "compare_validation", "main", "run_side_by_side"]

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "side_by_side.json"
JOBS = ("preview", "duckdb", "validate", "per_row")
PAIRS = {"preview_vs_duckdb": ("preview", "duckdb"), "validate_vs_per_row": ("validate", "per_row")}

_SHOPSYNC = "import sys; from shopsync.cli import main; sys.exit(main())"


def _command(job: str, files: BenchFiles, out: Path) -> list[str]:
    python = sys.executable
    if job == "preview":
        return [
            python, "-c", _SHOPSYNC, "preview-import", "--config", str(files.config),
            "--erp", str(files.erp), "--shopify", str(files.shopify),
            "--out", str(out / "plan.csv"), "--db", "sqlite://",
        ]  # fmt: skip
    if job == "validate":
        return [
            python, "-c", _SHOPSYNC, "validate-export", "--config", str(files.config),
            "--erp", str(files.erp), "--out", str(out / "validation.csv"), "--db", "sqlite://",
        ]  # fmt: skip
    peer = "duckdb" if job == "duckdb" else "per-row"
    command = [
        python, "-m", "benchmarks.peers", peer, "--config", str(files.config),
        "--countries", str(files.countries), "--erp", str(files.erp),
    ]  # fmt: skip
    if job == "duckdb":
        return [*command, "--shopify", str(files.shopify), "--out", str(out / "links.csv")]
    return [*command, "--out", str(out / "checks.csv")]


def time_process(command: list[str], log: Path, timeout: float | None = None) -> dict[str, Any]:
    """Run ``command`` as a child process through ``benchmarks.launch`` (a small process, so
    that no harness memory is carried into the child's peak RSS): wall seconds, peak RSS
    (``ru_maxrss`` from ``os.wait4``), CPU seconds, exit status."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT.parent), *filter(None, [env.get("PYTHONPATH")])])
    launcher = [sys.executable, "-m", "benchmarks.launch", str(log), str(timeout or 0), "--"]
    done = subprocess.run(
        launcher + command, capture_output=True, text=True, cwd=ROOT.parent, env=env, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmarks.launch failed: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def compare_links(plan: Path, links: Path) -> dict[str, Any]:
    """The preview's e-mail/phone links against the DuckDB peer's."""
    ours = _read(plan)
    ours = ours.loc[ours["rule"].isin(["email", "phone"]), ["shopify_id", "customer_no", "rule"]]
    theirs = _read(links)[["shopify_id", "customer_no", "rule"]]
    a = set(ours.itertuples(index=False, name=None))
    b = set(theirs.itertuples(index=False, name=None))
    return {
        "links": len(a),
        "peer_links": len(b),
        "email_links": int((ours["rule"] == "email").sum()),
        "phone_links": int((ours["rule"] == "phone").sum()),
        "only_shopsync": len(a - b),
        "only_peer": len(b - a),
        "examples": sorted(a ^ b)[:5],
        "agree": a == b,
    }


def compare_validation(report: Path, checks: Path) -> dict[str, Any]:
    """The validation's phone and e-mail verdicts against the per-row check's."""
    ours = _read(report)
    theirs = _read(checks)
    merged = ours.merge(theirs, on="customer_no", how="outer", suffixes=("", "_peer"))
    merged = merged.fillna("")
    codes = merged["reasons"].str.split(";")
    phone_invalid = codes.map(lambda c: "PHONE_INVALID" in c)
    email_invalid = codes.map(lambda c: "EMAIL_INVALID" in c)
    differ = {
        "rows": int(len(ours) != len(theirs) or len(merged) != len(ours)),
        "phone": int((merged["phone"] != merged["phone_peer"]).sum()),
        "phone_invalid": int((phone_invalid != (merged["phone_invalid"] == "1")).sum()),
        "email": int((merged["email"] != merged["email_peer"]).sum()),
        "email_invalid": int((email_invalid != (merged["email_invalid"] == "1")).sum()),
    }
    return {
        "customers": len(ours),
        "eligible": int((ours["eligible"] == "True").sum()),
        "phone_invalid": int(phone_invalid.sum()),
        "email_invalid": int(email_invalid.sum()),
        "differ": differ,
        "agree": not any(differ.values()),
    }


def run_side_by_side(
    n: int,
    runs: int = 3,
    seed: int = 7,
    timeout: float | None = None,
    work: Path | None = None,
    data: Path | None = None,
) -> dict[str, Any]:
    """Generate (or reuse) the files for ``n`` customers, time the four jobs ``runs`` times
    each, alternating, and compare the answers. Returns the size's result record."""
    start = time.perf_counter()
    files = bench_files(n, seed, root=data)
    gen_seconds = time.perf_counter() - start
    out = Path(work or tempfile.mkdtemp(prefix=f"shopsync-bench-{n}-"))
    out.mkdir(parents=True, exist_ok=True)
    measured: dict[str, list[dict[str, Any]]] = {job: [] for job in JOBS}
    for run in range(runs):
        # alternate the order of each pair from one run to the next
        order = JOBS if run % 2 == 0 else ("duckdb", "preview", "per_row", "validate")
        for job in order:
            row = time_process(_command(job, files, out), out / f"{job}.log", timeout)
            row["run"] = run + 1
            measured[job].append(row)
            progress = f"  n={n:,} run {run + 1} {job:<8} {row['seconds']:>8.2f} s"
            progress += f" {row['peak_mb']:>7.0f} MB  exit {row['exit']}"
            print(progress, file=sys.stderr, flush=True)
            if row["exit"] != 0:
                tail = (out / f"{job}.log").read_text(errors="replace").strip().splitlines()[-3:]
                raise RuntimeError(f"{job} failed (exit {row['exit']}): {' | '.join(tail)}")
    jobs = {
        job: {
            "median_s": round(statistics.median(r["seconds"] for r in rows), 3),
            "median_peak_mb": round(statistics.median(r["peak_mb"] for r in rows), 1),
            "runs": rows,
        }
        for job, rows in measured.items()
    }
    ratios = {}
    for name, (ours, peer) in PAIRS.items():
        ratios[name] = {
            "time_ratio": round(jobs[ours]["median_s"] / jobs[peer]["median_s"], 3),
            "peak_ratio": round(jobs[ours]["median_peak_mb"] / jobs[peer]["median_peak_mb"], 3),
            "peer_over_shopsync_time": round(jobs[peer]["median_s"] / jobs[ours]["median_s"], 3),
        }
    answers = {
        "preview_vs_duckdb": compare_links(out / "plan.csv", out / "links.csv"),
        "validate_vs_per_row": compare_validation(out / "validation.csv", out / "checks.csv"),
    }
    meta = files.meta
    answers["preview_vs_duckdb"]["planted_email_found"] = (
        answers["preview_vs_duckdb"]["email_links"] >= meta["planted"]["email"]
    )
    return {
        "size": n,
        "seed": seed,
        "runs": runs,
        "gen_seconds": round(gen_seconds, 1),
        "files": meta,
        "jobs": jobs,
        "ratios": ratios,
        "answers": answers,
    }


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import duckdb
    import phonenumbers

    try:
        load = os.getloadavg()
    except OSError:
        load = None
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "load_before": [round(x, 2) for x in load] if load else None,
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "phonenumbers": phonenumbers.__version__,
        "duckdb": duckdb.__version__,
    }


def print_table(results: list[dict[str, Any]]) -> None:
    header = (
        f"{'size':>9}  {'job':<9} {'median s':>9} {'peak MB':>8}   {'pair':<20} "
        f"{'time ratio':>10} {'peak ratio':>10}  answers"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        for name, (ours, peer) in PAIRS.items():
            ratio = result["ratios"][name]
            agree = result["answers"][name]
            text = "agree" if agree["agree"] else "DISAGREE"
            if name == "preview_vs_duckdb":
                text += f" ({agree['links']:,} links: {agree['email_links']:,} e-mail, "
                text += f"{agree['phone_links']:,} phone)"
            else:
                text += f" ({agree['customers']:,} customers, {agree['phone_invalid']:,} "
                text += "PHONE_INVALID)"
            for job, label in ((ours, name.replace("_", " ")), (peer, "")):
                row = result["jobs"][job]
                line = (
                    f"{result['size']:>9,}  {job:<9} {row['median_s']:>9.2f} "
                    f"{row['median_peak_mb']:>8.0f}   "
                )
                if label:
                    line += (
                        f"{label:<20} {ratio['time_ratio']:>9.2f}x {ratio['peak_ratio']:>9.2f}x"
                        f"  {text}"
                    )
                print(line)
    print("time/peak ratio = shopsync's median over the peer's (< 1: shopsync faster/smaller).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.side_by_side", description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per job and size")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=None, help="seconds per process")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON")
    parser.add_argument(
        "--data", type=Path, help="folder of the generated files (default benchmarks/.data)"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when the answers of a pair disagree"
    )
    args = parser.parse_args(argv)
    sizes = [int(part.replace("_", "")) for part in args.sizes.split(",") if part.strip()]
    payload = {
        "machine": machine(),
        "git": git_state("shopsync", "benchmarks"),
        "command": sys.argv,
        "results": [],
    }
    for n in sizes:
        payload["results"].append(
            run_side_by_side(n, args.runs, args.seed, args.timeout, data=args.data)
        )
        args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print_table(payload["results"])
    print(f"results: {args.out}")
    if args.check:
        bad = [
            (r["size"], name)
            for r in payload["results"]
            for name, answer in r["answers"].items()
            if not answer["agree"] or not answer.get("planted_email_found", True)
        ]
        for size, name in bad:
            print(f"check: n={size:,} {name}: answers disagree", file=sys.stderr)
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
