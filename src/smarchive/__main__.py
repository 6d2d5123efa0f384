from smarchive.cli import main

main()
