#!/usr/bin/env bash
# What a fresh console app pays for each inference package (the figures in this folder's README.md): the packages
# a cold restore downloads (into an empty NuGet folder), that folder once unpacked, bin/ after `dotnet build`, and
# the output of `dotnet publish -r linux-x64`. Packs the packages from this checkout into a temporary feed first.
# GpuLinux: the library with ONNX Runtime's Linux CUDA build alone, in place of the .Gpu package (Linux and Windows).
#
#   src/Pipeline.Inference/measure-consumer-size.sh [Cpu] [Gpu] [GpuLinux]     (all three by default)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
flavours=("$@")
[ $# -eq 0 ] && flavours=(Cpu Gpu GpuLinux)
id=$(sed -n 's:.*<InferencePackageId>\(.*\)</InferencePackageId>.*:\1:p' "$repo/Directory.Build.props")
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props")
ort=$(sed -n 's:.*"Microsoft.ML.OnnxRuntime.Gpu" Version="\(.*\)".*:\1:p' "$repo/Directory.Packages.props")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for project in Pipeline.Inference.Cpu Pipeline.Inference.Gpu Pipeline.Inference; do
  dotnet pack "$repo/src/$project" -c Release -o "$work/feed" --artifacts-path "$work/artifacts" -v quiet -nologo >/dev/null
done

mib() { du -sm "$1" | cut -f1; }
printf '| package | downloaded (.nupkg) | NuGet folder | bin/ (build) | publish -r linux-x64 |\n|---|---|---|---|---|\n'
for flavour in "${flavours[@]}"; do
  app="$work/app-$flavour"
  export NUGET_PACKAGES="$work/cold-$flavour"
  dotnet new console --framework net10.0 --name Consumer --output "$app" >/dev/null
  cat > "$app/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
CONFIG
  case $flavour in
    GpuLinux) packages=("$id $version" "Microsoft.ML.OnnxRuntime.Gpu.Linux $ort"); name="$id + Microsoft.ML.OnnxRuntime.Gpu.Linux" ;;
    *) packages=("$id.$flavour $version"); name="$id.$flavour" ;;
  esac
  for package in "${packages[@]}"; do
    (cd "$app" && dotnet add package ${package% *} --version ${package#* } >/dev/null)
  done
  (cd "$app" && dotnet build -c Release -v quiet -nologo >/dev/null)
  downloaded=$(find "$NUGET_PACKAGES" -name '*.nupkg' -printf '%s\n' | awk '{s += $1} END {printf "%.1f MB (%.1f MiB)", s / 1e6, s / 1048576}')
  unpacked=$(mib "$NUGET_PACKAGES")
  bin=$(mib "$app/bin/Release/net10.0") # before publish, which builds again under bin/Release/net10.0/linux-x64
  (cd "$app" && dotnet publish -c Release -r linux-x64 --self-contained false -o "$work/publish-$flavour" -v quiet -nologo >/dev/null)
  printf '| %s | %s | %s MiB | %s MiB | %s MiB |\n' "$name" "$downloaded" "$unpacked" "$bin" "$(mib "$work/publish-$flavour")"
done
