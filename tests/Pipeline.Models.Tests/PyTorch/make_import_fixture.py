# The PyTorch side of the import test (StateDictImportTests), made once and committed so that CI needs no PyTorch.
# Run from tests/Pipeline.Models.Tests with Debian's PyTorch (python3-torch 1.13, python3-torchvision 0.14):
#     /usr/bin/python3 PyTorch/make_import_fixture.py
# It writes PyTorch/resnet18-3class.pth.gz: torchvision.models.resnet18(num_classes=3).state_dict() saved by torch.save,
# gzipped; and PyTorch/resnet18-3class.json: a fixed input [2, 3, 64, 64] and the logits PyTorch computes for it in eval
# mode. The weights are random but sparse and ternary (each tensor 0 or ±one scale, about 90 % zeros for convs), so the
# 45 MB file gzips to about 1.5 MB; BatchNorm statistics and affine terms are random too, so every part of the network
# (and its eval-mode BatchNorm) shapes the logits.
import gzip, io, json, math
import torch, torchvision

torch.manual_seed(0)
model = torchvision.models.resnet18(num_classes=3)
g = torch.Generator().manual_seed(1)

def ternary(shape, density, scale):
    keep = torch.rand(shape, generator=g) < density
    sign = torch.where(torch.rand(shape, generator=g) < 0.5, -1.0, 1.0)
    return torch.where(keep, sign * scale, torch.zeros(shape))

with torch.no_grad():
    for name, t in model.state_dict().items():
        if t.dtype != torch.float32:
            continue  # num_batches_tracked
        if name.endswith("running_var"):
            t.copy_(1 + ternary(t.shape, 0.5, 0.5))
        elif t.dim() > 1:  # conv and fc weights: the variance of kaiming's init, in powers of two
            fan_in = t[0].numel()
            scale = 2.0 ** round(math.log2(math.sqrt(2 / fan_in / 0.1)))
            t.copy_(ternary(t.shape, 0.1, scale / (8 if name == "fc.weight" else 1)))
        elif name.endswith("weight"):
            t.copy_(1 + ternary(t.shape, 0.5, 0.25))
        else:
            t.copy_(ternary(t.shape, 0.5, 0.125))

model.eval()
x = torch.randint(0, 256, (2, 3, 64, 64), generator=g).float() / 256
with torch.no_grad():
    logits = model(x)

buffer = io.BytesIO()
torch.save(model.state_dict(), buffer)
with open("PyTorch/resnet18-3class.pth.gz", "wb") as f:
    f.write(gzip.compress(buffer.getvalue(), compresslevel=9, mtime=0))
with open("PyTorch/resnet18-3class.json", "w") as f:
    json.dump({
        "made_by": f"torch {torch.__version__}, torchvision {torchvision.__version__}: /usr/bin/python3 PyTorch/make_import_fixture.py",
        "model": "torchvision.models.resnet18(num_classes=3), eval mode",
        "input_shape": list(x.shape),
        "input": [round(v * 256) for v in x.flatten().tolist()],  # the input is these values / 256
        "logits": logits.tolist(),
    }, f)
print(logits)
