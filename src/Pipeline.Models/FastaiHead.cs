using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models;

/// <summary>
/// fastai's classifier head, as <c>fastai.vision.learner.create_head(nf, n_out)</c> builds it with its defaults
/// (<c>lin_ftrs=[512]</c>, <c>ps=0.5</c>, <c>concat_pool=True</c>, <c>first_bn=True</c>, <c>lin_first=False</c>)
/// and <c>create_cnn_model</c> initialises it. Built as one flat Sequential, so the children are numbered as
/// fastai's are (its LinBnDrop groups are Sequentials that <c>layers += ...</c> splices in):
/// <code>
/// 0 AdaptiveConcatPool2d   max and avg pool, concatenated in that order: 512 → 1024
/// 1 Flatten
/// 2 BatchNorm1d(1024)      LinBnDrop(1024, 512, p=0.25, act=ReLU)
/// 3 Dropout(0.25)          (ps[0]/2 for every hidden layer)
/// 4 Linear(1024, 512)      no bias: bias=not bn
/// 5 ReLU
/// 6 BatchNorm1d(512)       LinBnDrop(512, n_out, p=0.5)
/// 7 Dropout(0.5)
/// 8 Linear(512, n_out)     no bias
/// </code>
/// </summary>
public static class FastaiHead
{
    public const double HiddenDropout = 0.25, FinalDropout = 0.5;
    public const int HiddenFeatures = 512;

    internal static Sequential Create(long backboneFeatures, long numClasses)
    {
        long nf = backboneFeatures * 2; // concat pool doubles the features
        var head = nn.Sequential(
            new AdaptiveConcatPool2d(),
            nn.Flatten(),
            BatchNorm1d(nf),
            nn.Dropout(HiddenDropout),
            nn.Linear(nf, HiddenFeatures, hasBias: false),
            nn.ReLU(inplace: true),
            BatchNorm1d(HiddenFeatures),
            nn.Dropout(FinalDropout),
            nn.Linear(HiddenFeatures, numClasses, hasBias: false));

        // create_cnn_model: apply_init(model[1], nn.init.kaiming_normal_), which skips norm layers:
        // kaiming_normal_ with its defaults (fan_in, leaky_relu with a=0, so gain √2).
        using var _ = no_grad();
        foreach (var m in head.modules())
        {
            if (m is Linear linear)
                nn.init.kaiming_normal_(linear.weight!);
        }
        return head;
    }

    /// <summary>fastai's <c>BatchNorm(nf, ndim=1)</c>: γ = 1, and β = 1e-3 rather than PyTorch's 0.</summary>
    private static PinnedBatchNorm1d BatchNorm1d(long features)
    {
        var bn = new PinnedBatchNorm1d(features);
        using var _ = no_grad();
        using Scalar beta = 1e-3, gamma = 1.0; // held through each call (PinnedScalars says why)
        bn.bias!.fill_(beta);
        bn.weight!.fill_(gamma);
        return bn;
    }
}

/// <summary>fastai's <c>AdaptiveConcatPool2d</c> (output size 1): <c>cat([mp(x), ap(x)], 1)</c>.</summary>
internal sealed class AdaptiveConcatPool2d : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // fastai's names
    private readonly AdaptiveAvgPool2d ap;
    private readonly AdaptiveMaxPool2d mp;
#pragma warning restore IDE1006

    public AdaptiveConcatPool2d() : base(nameof(AdaptiveConcatPool2d))
    {
        ap = nn.AdaptiveAvgPool2d(1);
        mp = nn.AdaptiveMaxPool2d([1, 1]);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => cat([mp.forward(x), ap.forward(x)], 1);
}
