# Runs the script staged by stage_chunk in file $in.file of the temporary folder, after deleting
# the file; its output and exit code are the script's.
if ($in.file -notmatch '^hypersdk-stage-[a-f0-9]+\.b64$') { [Console]::Error.WriteLine("refused: staging file name $($in.file)"); exit 3 }
$f = Join-Path $env:TEMP $in.file
$text = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String([IO.File]::ReadAllText($f)))
Remove-Item -LiteralPath $f -Force
& ([ScriptBlock]::Create($text))
exit $LASTEXITCODE
