"""BatchedStdoutHandler (teraserver.logs): every line written, in order, in batches; nothing doubled by fork()."""

from __future__ import annotations

import logging
import os
import select
import time
from collections.abc import Iterator

import pytest

from teraserver.logs import BatchedStdoutHandler


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read_end, write_end = os.pipe()
    yield read_end, write_end
    os.close(read_end)
    os.close(write_end)


def read_available(fd: int, wait: float) -> str:
    chunks = []
    deadline = time.monotonic() + wait
    while (remaining := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            break
        chunks.append(os.read(fd, 65536))
    return b"".join(chunks).decode()


def logger_on(handler: logging.Handler, name: str) -> logging.Logger:
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(name)
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger


def test_info_lines_arrive_together_within_the_flush_interval(pipe: tuple[int, int]) -> None:
    read_end, write_end = pipe
    handler = BatchedStdoutHandler(write_end)
    logger = logger_on(handler, "batching.info")
    for number in range(50):
        logger.info("line %d", number)
    assert read_available(read_end, 0.0) == "", "INFO lines wait for the next batch"
    written = read_available(read_end, BatchedStdoutHandler.FLUSH_SECONDS * 5)
    assert written.splitlines() == [f"INFO line {number}" for number in range(50)]
    handler.close()


def test_a_warning_writes_everything_pending_at_once_in_order(pipe: tuple[int, int]) -> None:
    read_end, write_end = pipe
    handler = BatchedStdoutHandler(write_end)
    logger = logger_on(handler, "batching.warning")
    logger.info("first")
    logger.warning("second")
    assert read_available(read_end, 0.01).splitlines() == ["INFO first", "WARNING second"]
    handler.close()


def test_close_writes_what_is_pending(pipe: tuple[int, int]) -> None:
    read_end, write_end = pipe
    handler = BatchedStdoutHandler(write_end)
    logger_on(handler, "batching.close").info("last words")
    handler.close()
    assert read_available(read_end, 0.01) == "INFO last words\n"


def test_a_forked_child_does_not_write_its_parents_pending_lines_again(pipe: tuple[int, int]) -> None:
    read_end, write_end = pipe
    handler = BatchedStdoutHandler(write_end)
    logger = logger_on(handler, "batching.fork")
    logger.info("parent before fork")
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        logger.info("child")
        handler.flush()
        os._exit(0)
    _, status = os.waitpid(child, 0)
    assert status == 0
    logger.info("parent after fork")
    handler.flush()
    lines = read_available(read_end, 0.05).splitlines()
    assert sorted(lines) == ["INFO child", "INFO parent after fork", "INFO parent before fork"]
    handler.close()


def test_logging_config_sends_json_lines_to_the_chosen_descriptor(pipe: tuple[int, int]) -> None:
    import json
    import logging.config

    from teraserver.logs import logging_config

    read_end, write_end = pipe
    logging.config.dictConfig(logging_config("INFO", fd=write_end))
    try:
        logging.getLogger("batching.config").warning("to the chosen fd", extra={"detail": 1})
        entry = json.loads(read_available(read_end, 0.05))
        assert (entry["message"], entry["level"], entry["detail"]) == ("to the chosen fd", "WARNING", 1)
    finally:
        logging.config.dictConfig(logging_config("INFO"))


def test_a_closed_handler_is_not_kept_alive(pipe: tuple[int, int]) -> None:
    # Each dictConfig() makes a new handler and closes the old one: exit and fork hooks must not hold it.
    import gc
    import weakref

    handler = BatchedStdoutHandler(pipe[1])
    logger_on(handler, "batching.closed").info("one line")
    handler.close()
    logging.getLogger("batching.closed").handlers = []
    gone = weakref.ref(handler)
    del handler
    time.sleep(BatchedStdoutHandler.FLUSH_SECONDS * 3)  # its flusher thread ends after its next sleep
    gc.collect()
    assert gone() is None


EXITING_PROCESS = """
import logging, multiprocessing, sys
from teraserver.logs import setup_logging

def child():
    logging.getLogger("exit.child").info("child line, left by os._exit")

setup_logging("INFO")
logging.getLogger("exit.parent").info("parent line, left at interpreter exit")
process = multiprocessing.get_context("fork").Process(target=child)
process.start()
process.join()
sys.exit(process.exitcode)
"""


def test_lines_pending_at_exit_are_written() -> None:
    # Neither process waits for the 0.1 s flush: the parent leaves through atexit, the multiprocessing child
    # (as a granian worker does) through os._exit and multiprocessing's finalizers.
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", EXITING_PROCESS], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    messages = [line for line in result.stdout.splitlines() if '"exit.' in line]
    assert len(messages) == 2, result.stdout
    assert any("left at interpreter exit" in line for line in messages)
    assert any("left by os._exit" in line for line in messages)
