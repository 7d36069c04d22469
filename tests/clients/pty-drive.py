#!/usr/bin/python3
"""pty-drive.py [-t SECONDS] [-s SEND -e EXPECT]... -- COMMAND...

Run COMMAND on a new pseudo-terminal (as a user at a terminal would) and talk
to it: each -s writes a line, each -e waits until a regex appears in the
output after the previous -e's match.  The steps run in the order given.  At the
end, wait for COMMAND and exit with its exit status; print everything read on
stdout.  Exit 124 on a timeout, 125 on a missing expectation."""
import os, pty, re, select, sys, time


def main(argv):
    timeout, steps = 20.0, []
    while argv and argv[0] != "--":
        opt, val, argv = argv[0], argv[1], argv[2:]
        if opt == "-t":
            timeout = float(val)
        elif opt in ("-s", "-e"):
            steps.append((opt, val))
        else:
            sys.exit(f"pty-drive: unknown option {opt}")
    cmd = argv[1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    deadline = time.monotonic() + timeout
    seen, buf = b"", b""

    def read_some():
        nonlocal seen, buf
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([fd], [], [], min(left, 0.2))
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:  # EIO: the child side closed
                data = b""
            if not data:
                return False
            seen += data
            buf += data
        return True

    for kind, val in steps:
        if kind == "-s":
            os.write(fd, val.encode() + b"\r")
            continue
        while not (m := re.search(val.encode(), buf)):
            if not read_some():
                sys.stdout.write(seen.decode(errors="replace"))
                print(f"\npty-drive: did not see /{val}/", file=sys.stderr)
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                sys.exit(125)
        buf = buf[m.end():]  # the next -e looks past this match
    while read_some():
        pass
    sys.stdout.write(seen.decode(errors="replace"))
    for _ in range(int(timeout * 10)):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)
        time.sleep(0.1)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    print("pty-drive: timed out", file=sys.stderr)
    sys.exit(124)


main(sys.argv[1:])
