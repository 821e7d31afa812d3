module github.com/slawatch/slawatch

go 1.26
