"""Reading the annotation files of Kinetics-400 and Something-Something-v2: errors that name the file and the line.

Both builders read text annotations (CSV, JSON) that users often have in the wrong form: still gzip-compressed from
the download, or saved in another encoding. Python's own errors ("'utf-8' codec can't decode byte 0x8b") name
neither the file nor the fix; :func:`check_text_file` does, before any row is read.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ENCODING", "check_text_file"]

# UTF-8, with the byte-order mark that spreadsheet programs write skipped (it would otherwise stick to the header).
ENCODING = "utf-8-sig"

# the first bytes of compressed files -> (format, the command that unpacks it)
_COMPRESSED = (
    (b"\x1f\x8b", "gzip", "gunzip"),
    (b"PK\x03\x04", "zip", "unzip"),
    (b"BZh", "bzip2", "bunzip2"),
    (b"\xfd7zXZ\x00", "xz", "unxz"),
    (b"\x28\xb5\x2f\xfd", "zstd", "unzstd"),
)


def check_text_file(path: str | Path, kind: str) -> None:
    """Raise ``ValueError`` naming ``path`` (and the line) when it is compressed or not UTF-8 text.

    ``kind`` says what the file should be (e.g. ``"Kinetics-400's CSV"``), for the message. The file is read line by
    line, so memory does not grow with its size.
    """
    path = Path(path)
    with open(path, "rb") as handle:
        head = handle.read(8)
        for magic, name, command in _COMPRESSED:
            if head.startswith(magic):
                raise ValueError(
                    f"{path} is {name}-compressed, not {kind} text: unpack it first (e.g. `{command} {path.name}`) "
                    "and pass the folder of the unpacked file"
                )
        handle.seek(0)
        for line_number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as error:
                raise ValueError(
                    f"{path}:{line_number}: not UTF-8 text (byte 0x{line[error.start]:02x} at column "
                    f"{error.start + 1}); save {kind} as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)"
                ) from None
