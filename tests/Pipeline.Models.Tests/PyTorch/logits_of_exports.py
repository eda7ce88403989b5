# PyTorch's side of StateDictExportTests: loads each state dict the project exported into torchvision's ResNet (library
# head) or src/Pipeline.Models/PyTorch/pipeline_resnet.py's (fastai head), and prints its eval-mode logits for the given input.
#     /usr/bin/python3 logits_of_exports.py REQUEST.json   (REQUEST: {"input_shape": [...], "input": [...], "files": [...]})
# Prints {"<file>": [[logits of image 0], ...], ..., "versions": "torch …, torchvision …"}.
import json, os, sys
import torch, torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "src", "Pipeline.Models", "PyTorch"))
import pipeline_resnet

request = json.load(open(sys.argv[1]))
x = torch.tensor(request["input"], dtype=torch.float32).reshape(request["input_shape"])
answer = {"versions": f"torch {torch.__version__}, torchvision {torchvision.__version__}"}
with torch.no_grad():
    for path in request["files"]:
        model, _ = pipeline_resnet.load(path)
        answer[path] = model(x).tolist()
print(json.dumps(answer))
