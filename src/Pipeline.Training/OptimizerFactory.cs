using Pipeline.Experiments;
using Pipeline.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>Builds the recipe's optimizer with two parameter groups (decayed, not decayed) and moves its hyper-parameters each step.</summary>
internal static class OptimizerFactory
{
    public static optim.Optimizer Create(ResNet model, Recipe recipe)
    {
        // fastai's wd_bn_bias=False: BatchNorm weights/biases and all biases get no weight decay.
        var decayed = model.WeightDecayParameters.Select(p => p.Param).ToList();
        var notDecayed = model.NoWeightDecayParameters.Select(p => p.Param).ToList();
        if (recipe.WeightDecayOnNormAndBias)
        {
            decayed.AddRange(notDecayed);
            notDecayed.Clear();
        }
        double wd = recipe.WeightDecay, lr = recipe.LrMax / recipe.DivStart, mom = recipe.Moms[0];
        return recipe.Optimizer switch
        {
            // fastai's Adam with decouple_wd=True is AdamW: p ← p·(1 − lr·wd), then the Adam update.
            OptimizerKind.FastaiAdam or OptimizerKind.AdamW => new ScalarSafeAdamW(
                [new AdamW.ParamGroup(decayed, lr, mom, recipe.Beta2, recipe.Eps, wd, false, false),
                 new AdamW.ParamGroup(notDecayed, lr, mom, recipe.Beta2, recipe.Eps, 0, false, false)],
                lr, mom, recipe.Beta2, recipe.Eps, wd),
            OptimizerKind.SgdNesterov => new ScalarSafeSGD(
                [new SGD.ParamGroup(decayed, lr, mom, 0, wd, true, false),
                 new SGD.ParamGroup(notDecayed, lr, mom, 0, 0, true, false)],
                lr, mom, wd, nesterov: true),
            var other => throw new ArgumentOutOfRangeException(nameof(recipe), other, "unknown optimizer"),
        };
    }

    /// <summary>Sets the scheduled learning rate and β1/momentum on every parameter group.</summary>
    public static void SetHyperParameters(optim.Optimizer optimizer, double lr, double momentum)
    {
        switch (optimizer)
        {
            case AdamW adam:
                foreach (var group in adam.ParamGroups.Cast<AdamW.ParamGroup>())
                {
                    group.LearningRate = lr;
                    group.Betas = (momentum, group.Betas.Item2);
                }
                break;
            case SGD sgd:
                foreach (var group in sgd.ParamGroups.Cast<SGD.ParamGroup>())
                {
                    group.LearningRate = lr;
                    group.Options.momentum = momentum;
                }
                break;
        }
    }
}
