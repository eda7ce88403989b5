"""The models of the Pipeline project (`pipeline export --state-dict`) in plain PyTorch.

A state dict the project exports has PyTorch's own names, so:

    library head (avg pool + fc): torchvision.models.resnet18(num_classes=N).load_state_dict(state_dict)
    fastai head:                  resnet_with_fastai_head("resnet18", N).load_state_dict(state_dict)

`load(path)` reads either file format the project writes (.safetensors, .pth/.pt) and builds the right model from the
safetensors header (or from the keys of a .pth). Needs torch and torchvision only; safetensors files are read with the
`safetensors` package when it is installed, else with the 20-line reader below (the format is a length, a JSON header and
the raw little-endian tensors). timm flavour: the same keys load into timm.create_model("resnet18", num_classes=N).
"""
import json
import struct

import torch
import torchvision
from torch import nn


class AdaptiveConcatPool2d(nn.Module):
    """fastai's AdaptiveConcatPool2d(1): max pool and average pool, concatenated in that order."""

    def forward(self, x):
        return torch.cat([nn.functional.adaptive_max_pool2d(x, 1), nn.functional.adaptive_avg_pool2d(x, 1)], 1)


def fastai_head(features, num_classes):
    """fastai's create_head(features, num_classes) with its defaults, numbered as fastai numbers it (head.2, head.4, …)."""
    nf = 2 * features
    return nn.Sequential(
        AdaptiveConcatPool2d(), nn.Flatten(),
        nn.BatchNorm1d(nf), nn.Dropout(0.25), nn.Linear(nf, 512, bias=False), nn.ReLU(inplace=True),
        nn.BatchNorm1d(512), nn.Dropout(0.5), nn.Linear(512, num_classes, bias=False))


class ResNetWithFastaiHead(torchvision.models.ResNet):
    """torchvision's ResNet with fastai's head in place of avgpool + fc: the project's "fastai" head."""

    def __init__(self, block, layers, num_classes):
        super().__init__(block, layers, num_classes=num_classes)
        del self.fc
        self.head = fastai_head(512 * block.expansion, num_classes)

    def _forward_impl(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.head(x)


_LAYOUTS = {
    "resnet18": (torchvision.models.resnet.BasicBlock, [2, 2, 2, 2]),
    "resnet34": (torchvision.models.resnet.BasicBlock, [3, 4, 6, 3]),
    "resnet50": (torchvision.models.resnet.Bottleneck, [3, 4, 6, 3]),
}


def resnet_with_fastai_head(arch, num_classes):
    block, layers = _LAYOUTS[arch]
    return ResNetWithFastaiHead(block, layers, num_classes)


def read_safetensors(path):
    """(tensors, metadata) of a safetensors file."""
    try:
        from safetensors.torch import load_file, safe_open
        with safe_open(path, "pt") as f:
            return load_file(path), f.metadata() or {}
    except ImportError:
        pass
    dtypes = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
              "I64": torch.int64, "I32": torch.int32, "U8": torch.uint8, "BOOL": torch.bool}
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        flat = torch.frombuffer(bytearray(data[begin:end]), dtype=dtypes[entry["dtype"]])
        tensors[name] = flat.reshape(entry["shape"])
    return tensors, metadata


def load(path):
    """The model a state-dict file of the project describes, its weights loaded, in eval mode."""
    if path.endswith(".safetensors"):
        state, metadata = read_safetensors(path)
    else:
        state, metadata = torch.load(path, map_location="cpu"), {}
    num_classes = (state["fc.weight"] if "fc.weight" in state else state["head.8.weight"]).shape[0]
    arch = metadata.get("pipeline.architecture") or ("resnet50" if "layer1.0.conv3.weight" in state
                                                     else "resnet34" if "layer1.2.conv1.weight" in state else "resnet18")
    if "head.8.weight" in state:
        model = resnet_with_fastai_head(arch, num_classes)
    else:
        model = getattr(torchvision.models, arch)(num_classes=num_classes)
    model.load_state_dict(state)
    return model.eval(), metadata
