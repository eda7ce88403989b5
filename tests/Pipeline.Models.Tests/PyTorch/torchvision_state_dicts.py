# Run from tests/Pipeline.Models.Tests: /usr/bin/python3 PyTorch/torchvision_state_dicts.py > PyTorch/torchvision-state-dicts.txt
# torchvision's own state_dict for resnet18/34/50 (num_classes=10): name and shape of every tensor, in its order.
import torch, torchvision
print(f"# torch {torch.__version__}, torchvision {torchvision.__version__}")
for arch in ["resnet18", "resnet34", "resnet50"]:
    model = getattr(torchvision.models, arch)(num_classes=10)
    for name, t in model.state_dict().items():
        print(arch, name, "x".join(str(d) for d in t.shape) or "scalar")
