"""The embedding example runs as a tailer would: the first run resumes from the
beginning, records its cursors and flushes them; a second run resumes after
them."""

import subprocess

from harness import check, main, read_rows


def run(env, db):
    cmd = [env.args.example, f"--cursor.db-path={db}",
           '--tailer.peers=["uk.node.a","uk.node.b"]', "--tailer.batches=3",
           "--tailer.batch-size=10"]
    try:
        p = subprocess.run(cmd, cwd=env.dir, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise AssertionError("embedded_tailer did not exit within 60s")
    print(p.stdout, p.stderr, flush=True)
    check(p.returncode == 0, f"embedded_tailer exited {p.returncode}")
    return p.stdout


def scenario(env):
    db = env.path("tailer.db")
    out = run(env, db)
    check(out.count("resuming after 0\n") == 2, "first run starts from the beginning")
    check(out.count("caught up at 30-0\n") == 2, "first run applies 3 batches of 10")
    check(read_rows(db) == {"uk.node.a": "30-0", "uk.node.b": "30-0"},
          f"rows after the first run: {read_rows(db)}")
    out = run(env, db)
    check(out.count("resuming after 30-0\n") == 2, "second run resumes after the cursor")
    check(read_rows(db) == {"uk.node.a": "60-0", "uk.node.b": "60-0"},
          f"rows after the second run: {read_rows(db)}")


if __name__ == "__main__":
    main(scenario, "example")
