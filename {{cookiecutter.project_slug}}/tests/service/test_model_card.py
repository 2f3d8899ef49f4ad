"""model/model.toml: the model's name and quality bar, read by the code and the Makefile."""

import subprocess
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.model_card import MODEL_CARD, ModelCard
from {{ cookiecutter.package_name }}.settings import ServiceSettings

PROJECT = Path(__file__).parents[2]


def test_the_service_serves_the_latest_version_of_the_named_model() -> None:
    assert ServiceSettings().model_tag == f"{MODEL_CARD.name}:latest"


def test_the_makefile_looks_for_the_same_model() -> None:
    printed = subprocess.run(
        ["make", "--no-print-directory", "--eval", "print-model: ; @echo $(MODEL)", "print-model"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert printed == f"{PROJECT}/.bentoml/models/{MODEL_CARD.name}/latest"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('name = "Classifier"\nmin_accuracy = 0.9\n', "name"),
        ('name = "classifier"\nmin_accuracy = 90\n', "min_accuracy"),
        ('name = "classifier"\n', "min_accuracy"),
        ('name = "classifier"\nmin_accuracy = 0.9\nthreshold = 1\n', "threshold"),
        ('name = "classifier\n', "line 1"),
    ],
    ids=["name-not-a-model-name", "accuracy-over-one", "accuracy-missing", "unknown-key", "toml"],
)
def test_a_bad_model_card_is_refused_naming_the_file_and_the_key(
    tmp_path: Path, text: str, named: str
) -> None:
    card = tmp_path / "model.toml"
    card.write_text(text)
    with pytest.raises(ValueError, match=named) as refused:
        ModelCard.read(card)
    assert str(card) in str(refused.value)
