attache: \$SAMPLES/asean.xml: file is [0-9]+ bytes, more than the limit of 1024 \(see --max-size\)
