"""Which files of a folder are recordings: every file ffmpeg can read as audio, and for each file
left out, why (hidden, empty, not audio). Nothing in a folder is skipped silently.

Known audio and video extensions are taken as they are (a file that then fails to decode, an
empty one too, is a failure with its reason, as any file). Known non-audio extensions (documents, pictures, archives …)
are skipped without opening them. Any other file is probed with ffprobe: an audio stream makes it
a recording.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

AUDIO_EXTENSIONS = frozenset({
    ".wav", ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".amr", ".flac", ".webm", ".mp4", ".mov",
    ".wma", ".3gp", ".3gpp", ".3g2", ".mkv", ".mka", ".silk", ".caf", ".aif", ".aiff", ".aifc", ".mpga",
    ".m4b", ".m4v", ".gsm", ".au", ".snd", ".spx", ".avi", ".wv", ".ape", ".ac3", ".mp2", ".mpeg",
    ".mpg", ".ts", ".mts", ".flv", ".wmv", ".asf", ".voc", ".w64", ".rf64", ".tta", ".dts", ".mxf",
})
NOT_AUDIO = frozenset({
    ".txt", ".csv", ".tsv", ".json", ".yaml", ".yml", ".xml", ".md", ".html", ".htm", ".pdf", ".doc",
    ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".rtf", ".odt", ".jpg", ".jpeg", ".png", ".gif", ".bmp",
    ".webp", ".heic", ".tif", ".tiff", ".svg", ".ico", ".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar",
    ".tar", ".exe", ".dll", ".so", ".py", ".js", ".sh", ".ini", ".log", ".lnk", ".ds_store", ".db",
    ".duckdb", ".parquet", ".srt", ".vtt", ".lrc", ".cue", ".m3u", ".m3u8", ".pls", ".nfo", ".sfk", ".pkf",
})


@dataclass
class Skipped:
    path: Path
    reason: str  # hidden | empty | not audio (…)


def has_audio(path: Path, timeout_s: float = 15.0) -> bool:
    """Whether ffprobe finds an audio stream in the file."""
    try:
        res = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "stream=index",
                              "-of", "csv=p=0", "--", str(path)], capture_output=True, timeout=timeout_s,
                             stdin=subprocess.DEVNULL)
    except (subprocess.TimeoutExpired, OSError):
        return False
    return res.returncode == 0 and bool(res.stdout.strip())


def scan_folder(root: Path) -> tuple[list[Path], list[Skipped]]:
    """The recordings under ``root`` (recursively, sorted) and the files left out with the reason."""
    found, skipped = [], []
    for f in sorted(root.rglob("*")):
        if not f.is_file():
            continue
        rel = f.relative_to(root).parts
        if any(part.startswith(".") for part in rel):
            skipped.append(Skipped(f, "hidden"))
            continue
        ext = f.suffix.lower()
        if ext in AUDIO_EXTENSIONS:  # an empty or broken one fails with its reason, as a recording
            found.append(f)
        elif f.stat().st_size == 0:
            skipped.append(Skipped(f, "empty (0 bytes)"))
        elif ext in NOT_AUDIO or f.name.lower() in NOT_AUDIO:
            skipped.append(Skipped(f, f"not audio ({ext or f.name})"))
        elif has_audio(f):
            found.append(f)
        else:
            skipped.append(Skipped(f, "not audio (ffprobe found no audio stream)"))
    return found, skipped


def summary(skipped: list[Skipped]) -> str:
    """'3 hidden, 2 not audio' — the reasons counted, most common first."""
    counts: dict[str, int] = {}
    for s in skipped:
        key = s.reason.split(" (")[0]
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{n} {why}" for why, n in sorted(counts.items(), key=lambda kv: -kv[1]))
