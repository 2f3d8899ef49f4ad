"""One breast mass, from measures of its cell nuclei in a digitised image (five of the
thirty the Wisconsin data set records, one of them as whole units, and the shape of the
nuclei as a category)."""

from typing import Annotated, Literal

from pydantic import Field

from ..record_base import Float32, Integer, PositiveFloat32, RecordBase


class Record(RecordBase):
    """One mass to classify as malignant or benign."""

    mean_radius: Annotated[PositiveFloat32, Field(le=100, examples=[17.99])]
    mean_texture: Annotated[PositiveFloat32, Field(le=100, examples=[10.38])]
    # How concave the nuclei's outlines are, in three bands (dataset.py).
    nucleus_shape: Annotated[
        Literal["smooth", "irregular", "very irregular"], Field(examples=["very irregular"])
    ]
    mean_smoothness: Annotated[PositiveFloat32, Field(le=1, examples=[0.1184])]
    # Zero for a smooth nucleus: a non-negative measure, not a positive one.
    worst_concave_points: Annotated[Float32, Field(ge=0, le=1, examples=[0.2654])]
    # In whole square pixels.
    worst_area: Annotated[Integer[1, 10_000], Field(examples=[2019])]
