"""Import torchvision in the CPU-only reference venv.

The torchvision 0.28.0 wheel in the venv ships a `_C.so` built for CUDA that
does not load against torch 2.13.0+cpu. torchvision then fails at import time
with "operator torchvision::nms does not exist", because its Python side
registers fake (meta) kernels for `torchvision::nms` / `torchvision::qnms`
whose schemas normally come from `_C.so`.

Defining those two schemas ourselves before the import is enough for the
classification models (nothing here ever calls nms).  Usage:

    from _torchvision_fix import torchvision   # instead of `import torchvision`

The `torch.library.Library` handle is kept at module level on purpose: when it
is garbage collected, the schemas it defined are removed again.
"""
import torch

_SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)

_lib = None


def _operator_exists(name: str) -> bool:
    try:
        getattr(torch.ops.torchvision, name)
        return True
    except (AttributeError, RuntimeError):
        return False


def _define_schemas() -> None:
    global _lib
    missing = [s for s in _SCHEMAS if not _operator_exists(s.split("(", 1)[0])]
    if not missing:
        return  # a working _C.so already registered them
    _lib = torch.library.Library("torchvision", "FRAGMENT")
    for schema in missing:
        _lib.define(schema)


_define_schemas()

import torchvision  # noqa: E402  (must come after the schema definitions)

__all__ = ["torchvision"]
