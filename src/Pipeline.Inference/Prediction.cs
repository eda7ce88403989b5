namespace Pipeline.Inference;

/// <summary>One class of a model's answer: its output index, id and name from the model's metadata, and its probability.</summary>
public sealed record Prediction(int Index, string ClassId, string ClassName, float Probability);
