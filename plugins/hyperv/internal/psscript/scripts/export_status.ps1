# Reports the export job $in.job into folder $in.folder under $in.root: its state (running,
# completed or failed), percent and error, and once completed the disk files it wrote, with
# paths relative to the export root (the share's root) and sizes.
$job = Get-WmiObject -Namespace 'root\virtualization\v2' -Class Msvm_ConcreteJob -Filter "InstanceID='$($in.job)'"
if (-not $job) { [Console]::Error.WriteLine("no export job $($in.job)"); exit 2 }
$state = switch ($job.JobState) { 7 { 'completed' } { $_ -in 8, 9, 10 } { 'failed' } default { 'running' } }
$files = @()
if ($state -eq 'completed') {
  $root = (Resolve-Path -LiteralPath $in.root).Path.TrimEnd('\')
  $files = @(Get-ChildItem -LiteralPath (Join-Path $root $in.folder) -Recurse -File -Include *.vhdx, *.vhd, *.avhdx | ForEach-Object {
    [ordered]@{ Path = $_.FullName.Substring($root.Length + 1); Name = $_.Name; SizeBytes = $_.Length }
  })
}
[Console]::Out.WriteLine((ConvertTo-Json -InputObject ([ordered]@{ state = $state; percent = [int]$job.PercentComplete; error = [string]$job.ErrorDescription; files = $files }) -Compress -Depth 4))
