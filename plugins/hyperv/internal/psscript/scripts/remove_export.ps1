# Removes export folder $in.folder under the export root $in.root, first stopping its export job
# if it still runs. A folder already gone counts as removed; a job that will not stop within a
# minute exits 4 (try again later).
if ($in.folder -notmatch '^hypersdk-[A-Za-z0-9-]+$') { [Console]::Error.WriteLine("refused: export folder name $($in.folder)"); exit 3 }
$path = Join-Path $in.root $in.folder
$marker = Join-Path $path 'hypersdk-export-job.txt'
if (Test-Path -LiteralPath $marker) {
  $id = (Get-Content -Raw -LiteralPath $marker).Trim()
  $job = Get-WmiObject -Namespace 'root\virtualization\v2' -Class Msvm_ConcreteJob -Filter "InstanceID='$id'"
  if ($job -and $job.JobState -in 2, 3, 4) {
    [void]$job.RequestStateChange(4)
    $deadline = (Get-Date).AddMinutes(1)
    while ($job.JobState -in 2, 3, 4, 6) {
      if ((Get-Date) -gt $deadline) { [Console]::Error.WriteLine("export job $id is still running"); exit 4 }
      Start-Sleep -Seconds 1
      $job = Get-WmiObject -Namespace 'root\virtualization\v2' -Class Msvm_ConcreteJob -Filter "InstanceID='$id'"
      if (-not $job) { break }
    }
  }
}
$removed = Test-Path -LiteralPath $path
if ($removed) { Remove-Item -LiteralPath $path -Recurse -Force }
[Console]::Out.WriteLine((ConvertTo-Json -InputObject ([ordered]@{ removed = $removed }) -Compress))
