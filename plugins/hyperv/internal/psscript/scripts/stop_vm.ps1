# Shuts down the virtual machine with id $in.vm through its guest (Stop-VM, no turn-off) and
# waits until it is off. A VM already off stays as it is.
$vm = Get-VM -Id $in.vm -ErrorAction SilentlyContinue
if (-not $vm) { [Console]::Error.WriteLine("no virtual machine with id $($in.vm)"); exit 2 }
$was = [string]$vm.State
if ($vm.State -ne 'Off') { Stop-VM -VM $vm -Force }
[Console]::Out.WriteLine((ConvertTo-Json -InputObject ([ordered]@{ was = $was; state = [string](Get-VM -Id $in.vm).State }) -Compress))
