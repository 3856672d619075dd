"""Encoders: the builtin one trains offline from our own text and is an ordinary sentence-transformers model; a
pretrained one is loaded by path without any download."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from app.config import get_settings
from app.nlu import encoder as encoders
from app.nlu.documents import Document
from app.nlu.evaluation import minilm_model_path

DOCUMENTS = [
    Document("service:wages", "description", "老闆欠薪、薪水沒發或少發，向勞工局申訴"),
    Document("service:wages", "description", "Employer has not paid wages: file a complaint"),
    Document("service:wages", "example", "公司三個月沒發薪水"),
    Document("service:wages", "example", "老闆一直拖薪水"),
    Document("service:wages", "example", "bos saya belum bayar gaji"),
    Document("service:press", "description", "衝剪機械安全防護改善補助，事業單位向勞動檢查處申請"),
    Document("service:press", "description", "Subsidy for safety guards on power presses and shears"),
    Document("service:press", "example", "衝床要裝安全裝置有補助嗎"),
    Document("service:press", "example", "剪床防護改善補助怎麼申請"),
    Document("service:chinese", "description", "移工免費中文課程"),
    Document("service:chinese", "description", "Free Chinese classes for migrant workers"),
    Document("service:chinese", "example", "我想學中文"),
    Document("service:chinese", "example", "kelas bahasa mandarin gratis"),
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[encoders.StaticEncoder, Path]:
    out = tmp_path_factory.mktemp("encoder")
    serving = get_settings()  # trained as for serving
    return encoders.train_builtin(DOCUMENTS, out, members=serving.builtin_members, epochs=serving.builtin_epochs,
                                  seed=serving.builtin_seed), out


def _embed(model: encoders.Encoder, texts: list[str]) -> np.ndarray:
    return encoders.encode(model, [encoders.encoder_text(encoders.BUILTIN, t) for t in texts])


def test_builtin_encoder_is_saved_as_a_sentence_transformers_model_and_reloads_by_path(trained):
    model, path = trained
    assert (path / "modules.json").exists() and (path / "tokenizer.json").exists()
    reloaded = SentenceTransformer(str(path), device="cpu")
    texts = ["老闆欠薪怎麼辦", "剪床補助"]
    assert np.allclose(_embed(model, texts), _embed(reloaded, texts), atol=1e-6)


def test_a_server_loads_and_applies_the_builtin_encoder_without_importing_torch(trained):
    """Importing torch and sentence-transformers is most of a server's start; serving the static model needs neither."""
    _, path = trained
    text = "老闆欠薪怎麼辦"
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "import app.main\n"
        "from app.nlu import encoder as e\n"
        f"vector = e.encode(e.StaticEncoder.load(Path({str(path)!r})), [e.encoder_text(e.BUILTIN, {text!r})])[0]\n"
        "print(json.dumps({'torch': 'torch' in sys.modules, 'vector': vector.tolist()}))\n"
    )
    served = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], check=True,
                            capture_output=True, text=True, timeout=120)
    result = json.loads(served.stdout.strip().splitlines()[-1])
    assert result["torch"] is False
    assert np.allclose(result["vector"], _embed(SentenceTransformer(str(path), device="cpu"), [text])[0], atol=1e-6)


def test_builtin_encoder_gives_unit_vectors_that_bring_a_question_near_its_service(trained):
    model, _ = trained
    vectors = _embed(model, ["薪水被拖欠", "老闆欠薪、薪水沒發或少發，向勞工局申訴", "移工免費中文課程"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_builtin_training_is_deterministic_for_a_seed():
    first = encoders.train_builtin(DOCUMENTS, members=2, epochs=2, seed=7)
    second = encoders.train_builtin(DOCUMENTS, members=2, epochs=2, seed=7)
    texts = ["公司沒發薪水", "Free Chinese classes"]
    assert np.array_equal(_embed(first, texts), _embed(second, texts))
    other = encoders.train_builtin(DOCUMENTS, members=2, epochs=2, seed=8)
    assert not np.array_equal(_embed(first, texts), _embed(other, texts)), "the seed is what a table starts from"


def test_pretrained_model_loads_offline_by_path_from_the_packaged_minilm(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path = minilm_model_path()
    assert (path / "model.safetensors").exists()
    model = encoders.load_pretrained(str(path))
    vectors = encoders.encode(model, ["My employer has not paid my salary", "unpaid wages", "free Chinese lessons"])
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
