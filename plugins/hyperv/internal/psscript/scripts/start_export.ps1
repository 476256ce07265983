# Starts exporting checkpoint $in.name of the virtual machine with id $in.vm into folder
# $in.folder under the export root $in.root. It calls what Export-VMSnapshot calls
# (Msvm_VirtualSystemManagementService.ExportSystemDefinition) without waiting: the WMI job it
# starts outlives this WinRM shell, and export_status polls it. Called again for the same
# folder, it answers the job already started.
if ($in.folder -notmatch '^hypersdk-[A-Za-z0-9-]+$') { [Console]::Error.WriteLine("refused: export folder name $($in.folder)"); exit 3 }
$path = Join-Path $in.root $in.folder
$marker = Join-Path $path 'hypersdk-export-job.txt'
if (Test-Path -LiteralPath $marker) {
  [Console]::Out.WriteLine((ConvertTo-Json -InputObject ([ordered]@{ job = (Get-Content -Raw -LiteralPath $marker).Trim() }) -Compress))
  exit 0
}
$vm = Get-VM -Id $in.vm -ErrorAction SilentlyContinue
if (-not $vm) { [Console]::Error.WriteLine("no virtual machine with id $($in.vm)"); exit 2 }
$cp = Get-VMSnapshot -VM $vm -Name $in.name -ErrorAction SilentlyContinue
if (-not $cp) { [Console]::Error.WriteLine("no checkpoint $($in.name) of virtual machine $($vm.Name)"); exit 2 }
New-Item -ItemType Directory -Force -Path $path | Out-Null
$ns = 'root\virtualization\v2'
$svc = Get-WmiObject -Namespace $ns -Class Msvm_VirtualSystemManagementService
$sys = Get-WmiObject -Namespace $ns -Class Msvm_ComputerSystem -Filter "Name='$($vm.Id)'"
$snap = Get-WmiObject -Namespace $ns -Class Msvm_VirtualSystemSettingData -Filter "InstanceID='Microsoft:$($cp.Id)'"
$es = ([wmiclass]"\\.\$($ns):Msvm_VirtualSystemExportSettingData").CreateInstance()
$es.CopySnapshotConfiguration = 2
$es.CopyVmRuntimeInformation = $false
$es.CopyVmStorage = $true
$es.CreateVmExportSubdirectory = $true
$es.SnapshotVirtualSystem = $snap.__PATH
$r = $svc.ExportSystemDefinition($sys.__PATH, $path, $es.GetText(1))
if ($r.ReturnValue -ne 4096) { throw "ExportSystemDefinition returned $($r.ReturnValue)" }
$id = ([wmi]$r.Job).InstanceID
Set-Content -LiteralPath $marker -Value $id
[Console]::Out.WriteLine((ConvertTo-Json -InputObject ([ordered]@{ job = $id }) -Compress))
