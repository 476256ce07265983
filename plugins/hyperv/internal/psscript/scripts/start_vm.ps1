# Starts the virtual machine with id $in.vm if it is off or saved. A VM already running, or
# gone, is left as it is.
$vm = Get-VM -Id $in.vm -ErrorAction SilentlyContinue
$started = $false
if ($vm -and $vm.State -in 'Off', 'Saved') { Start-VM -VM $vm; $started = $true }
[Console]::Out.WriteLine((ConvertTo-Json -InputObject ([ordered]@{ started = $started }) -Compress))
