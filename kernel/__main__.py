from reelkit.kernel.cli import main

main()
