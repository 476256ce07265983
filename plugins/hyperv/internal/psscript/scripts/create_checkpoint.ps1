# Takes a production checkpoint named $in.name of the virtual machine with id $in.vm (its
# checkpoint type is ProductionOnly for the call, then put back), unless it exists already.
$vm = Get-VM -Id $in.vm -ErrorAction SilentlyContinue
if (-not $vm) { [Console]::Error.WriteLine("no virtual machine with id $($in.vm)"); exit 2 }
$cp = Get-VMSnapshot -VM $vm -Name $in.name -ErrorAction SilentlyContinue
if (-not $cp) {
  $type = $vm.CheckpointType
  Set-VM -VM $vm -CheckpointType ProductionOnly
  try { $cp = Checkpoint-VM -VM $vm -SnapshotName $in.name -Passthru } finally { Set-VM -VM $vm -CheckpointType $type }
}
[Console]::Out.WriteLine((ConvertTo-Json -InputObject ([ordered]@{ id = $cp.Id.ToString(); name = $cp.Name; type = [string]$cp.SnapshotType }) -Compress))
