# Lists virtual machines as JSON: the one with id $in.id, or the page of all of them ordered by
# name that $in.skip and $in.first name, on this host or on every node of cluster $in.cluster.
$computers = if ($in.cluster) { @(Get-ClusterNode -Cluster $in.cluster | Where-Object State -eq 'Up' | ForEach-Object Name) } else { @($env:COMPUTERNAME) }
if ($in.id) {
  $vms = @(Get-VM -ComputerName $computers -ErrorAction SilentlyContinue | Where-Object { $_.Id.ToString() -eq $in.id })
  if ($vms.Count -eq 0) { [Console]::Error.WriteLine("no virtual machine with id $($in.id)"); exit 2 }
  $total = 1
} else {
  $all = @(Get-VM -ComputerName $computers | Sort-Object Name, Id)
  $total = $all.Count
  $vms = @($all | Select-Object -Skip $in.skip -First $in.first)
}
$rows = foreach ($vm in $vms) {
  $fw = if ($vm.Generation -eq 2) { Get-VMFirmware -VM $vm } else { $null }
  $mem = Get-VMMemory -VM $vm
  $disks = foreach ($d in @(Get-VMHardDiskDrive -VM $vm)) {
    $size = 0
    if ($d.Path -and $null -eq $d.DiskNumber) { $size = (Get-VHD -ComputerName $vm.ComputerName -Path $d.Path).Size }
    [ordered]@{ Path = $d.Path; ControllerType = [string]$d.ControllerType; ControllerNumber = $d.ControllerNumber; ControllerLocation = $d.ControllerLocation; SizeBytes = $size; DiskNumber = $d.DiskNumber }
  }
  $nics = foreach ($n in @(Get-VMNetworkAdapter -VM $vm)) {
    $vlan = Get-VMNetworkAdapterVlan -VMNetworkAdapter $n
    [ordered]@{ Name = $n.Name; MacAddress = $n.MacAddress; SwitchName = $n.SwitchName; VlanId = [int]$vlan.AccessVlanId }
  }
  $dvds = foreach ($c in @(Get-VMDvdDrive -VM $vm)) {
    [ordered]@{ Path = $c.Path; ControllerType = [string]$c.ControllerType; ControllerNumber = $c.ControllerNumber; ControllerLocation = $c.ControllerLocation }
  }
  [ordered]@{
    Id = $vm.Id.ToString(); Name = $vm.Name; State = [string]$vm.State; ComputerName = $vm.ComputerName; Generation = $vm.Generation
    SecureBoot = [bool]($fw -and $fw.SecureBoot -eq 'On'); SecureBootTemplate = if ($fw) { [string]$fw.SecureBootTemplate } else { '' }
    ProcessorCount = $vm.ProcessorCount; MemoryStartupBytes = $mem.Startup; DynamicMemory = [bool]$mem.DynamicMemoryEnabled; MemoryMaximumBytes = $mem.Maximum
    Notes = [string]$vm.Notes; Disks = @($disks); NICs = @($nics); DVDs = @($dvds)
  }
}
[Console]::Out.WriteLine((ConvertTo-Json -InputObject ([ordered]@{ total = $total; vms = @($rows) }) -Compress -Depth 5))
