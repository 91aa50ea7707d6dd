fn main() {
    let ex = glommio::LocalExecutorBuilder::new(glommio::Placement::Unbound).spawn(|| async move {
        let f = glommio::io::DmaFile::create("/tmp/glommio_probe").await.unwrap();
        let mut buf = f.alloc_dma_buffer(4096);
        buf.as_bytes_mut().fill(7);
        f.write_at(buf, 0).await.unwrap();
        f.fdatasync().await.unwrap();
        println!("glommio ok");
    }).unwrap();
    ex.join().unwrap();
}
