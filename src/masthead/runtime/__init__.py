"""What every stage uses: the cache, worker processes, confinement, XML, languages."""
