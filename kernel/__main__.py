from kernel.cli import main

main()
