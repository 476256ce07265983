# Removes checkpoint $in.name of the virtual machine with id $in.vm, merging it into the VM's
# disks. A VM or a checkpoint already gone counts as removed.
$vm = Get-VM -Id $in.vm -ErrorAction SilentlyContinue
$cp = if ($vm) { Get-VMSnapshot -VM $vm -Name $in.name -ErrorAction SilentlyContinue } else { $null }
if ($cp) { Remove-VMSnapshot -VMSnapshot $cp }
[Console]::Out.WriteLine((ConvertTo-Json -InputObject ([ordered]@{ removed = [bool]$cp }) -Compress))
