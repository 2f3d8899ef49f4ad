import bentoml
import numpy as np
import pytest

from {{ cookiecutter.package_name }} import training
from {{ cookiecutter.package_name }}.features import FEATURE_NAMES, model_columns
from {{ cookiecutter.package_name }}.model.dataset import load_dataset
from {{ cookiecutter.package_name }}.model.record import Record
from {{ cookiecutter.package_name }}.model_card import MODEL_CARD
from {{ cookiecutter.package_name }}.model_store import (
    MODEL_NAME,
    class_names,
    onnx_path,
)
from {{ cookiecutter.package_name }}.onnx_model import OnnxClassifier


def test_dataset_split_is_the_same_every_time() -> None:
    assert load_dataset().fingerprint() == load_dataset().fingerprint()


def test_dataset_has_a_column_per_feature_and_every_class_in_both_splits() -> None:
    dataset = load_dataset()
    assert dataset.features_train.shape[1] == dataset.features_test.shape[1] == len(FEATURE_NAMES)
    every_class = set(range(len(dataset.class_names)))
    assert set(dataset.labels_train) == set(dataset.labels_test) == every_class


def test_onnx_model_agrees_with_scikit_learn_on_the_held_out_set(tmp_path) -> None:
    dataset = load_dataset()
    pipeline = training.fit(dataset)
    test_columns = model_columns(dataset.features_test)
    model_file = tmp_path / "model.onnx"
    model_file.write_bytes(training.export_to_onnx(pipeline))

    labels, probabilities = OnnxClassifier(model_file, dataset.class_names).predict(
        dataset.features_test
    )

    expected_labels = [dataset.class_names[index] for index in pipeline.predict(test_columns)]
    assert labels == expected_labels
    np.testing.assert_allclose(
        probabilities, pipeline.predict_proba(test_columns), rtol=1e-4, atol=1e-5
    )


def test_stored_model_describes_itself(stored_model: bentoml.Model) -> None:
    metadata = stored_model.info.metadata
    dataset = load_dataset()
    assert stored_model.tag.name == MODEL_NAME
    assert stored_model.info.labels == {**MODEL_CARD.labels, "runtime": "onnxruntime"}
    assert [feature["name"] for feature in metadata["features"]] == list(FEATURE_NAMES)
    declared = Record.model_json_schema()["properties"]
    for feature in metadata["features"]:
        assert feature.items() <= {"name": feature["name"], **declared[feature["name"]]}.items()
    assert class_names(stored_model) == dataset.class_names
    assert metadata["training_data_sha256"] == dataset.fingerprint()
    assert metadata["training_rows"] == len(dataset.features_train)
    assert metadata["test_rows"] == len(dataset.features_test)
    assert metadata["metrics"]["accuracy"] >= MODEL_CARD.min_accuracy
    assert set(metadata["library_versions"]) == {"python", *training.RECORDED_LIBRARIES}


def test_stored_onnx_file_reproduces_the_recorded_accuracy(stored_model: bentoml.Model) -> None:
    dataset = load_dataset()
    model = OnnxClassifier(onnx_path(stored_model), class_names(stored_model))
    labels, _ = model.predict(dataset.features_test)
    expected = [dataset.class_names[index] for index in dataset.labels_test]
    accuracy = np.mean([got == want for got, want in zip(labels, expected, strict=True)])
    assert round(float(accuracy), 4) == stored_model.info.metadata["metrics"]["accuracy"]


def test_model_below_the_accuracy_floor_is_not_stored(
    stored_model: bentoml.Model, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    versions_before = {str(model.tag) for model in bentoml.models.list(MODEL_NAME)}
    unreachable = MODEL_CARD.model_copy(update={"min_accuracy": 1.01})
    monkeypatch.setattr(training, "MODEL_CARD", unreachable)

    assert training.main() == 1

    assert "model not stored" in capsys.readouterr().err
    assert {str(model.tag) for model in bentoml.models.list(MODEL_NAME)} == versions_before
